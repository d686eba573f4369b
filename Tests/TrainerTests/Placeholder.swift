// Tests for the Trainer module.
