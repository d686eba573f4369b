// Tests for the Imaging module.
