// Tests for the Synth module.
