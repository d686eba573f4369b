// Tests for the Examples module.
