// Tests for the RecordIO module.
