// Tests for the Formats module.
