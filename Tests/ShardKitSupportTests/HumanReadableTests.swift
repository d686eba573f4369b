import Testing

@testable import ShardKitSupport

@Suite struct HumanReadableTests {
    @Test func sizesInBinaryUnits() {
        let cases: [(Int64, String)] = [
            (0, "0 bytes"), (1, "1 byte"), (700, "700 bytes"), (1023, "1023 bytes"),
            (1024, "1.0 KiB"), (12_700, "12.4 KiB"), (1_048_575, "1.0 MiB"),  // 1023.999 KiB rounds up a unit
            (134_217_728, "128.0 MiB"), (1_073_741_824, "1.0 GiB"), (1_610_612_736, "1.5 GiB"),
            (2 * 1_099_511_627_776, "2.0 TiB"), (Int64.max, "8.0 EiB"),
        ]
        for (bytes, text) in cases { #expect(HumanReadable.bytes(bytes) == text, "\(bytes)") }
    }

    @Test func countsAgreeWithTheirNouns() {
        #expect(HumanReadable.count(1, "shard") == "1 shard")
        #expect(HumanReadable.count(0, "shard") == "0 shards")
        #expect(HumanReadable.count(4, "record") == "4 records")
        #expect(HumanReadable.count(2, "entry", "entries") == "2 entries")
        #expect(HumanReadable.noun(1, "file") == "file" && HumanReadable.noun(3, "file") == "files")
    }

    @Test func wideCharactersTakeTwoColumns() {
        #expect(HumanReadable.displayWidth("abc") == 3)
        #expect(HumanReadable.displayWidth("中国。") == 6)
        #expect(HumanReadable.displayWidth("ｅ") == 2)  // full-width Latin
        #expect(HumanReadable.displayWidth("e\u{301}") == 1)  // combining acute accent
        #expect(HumanReadable.padded("国", toWidth: 4) == "国  ")
        #expect(HumanReadable.leftPadded("42", toWidth: 5) == "   42")
        #expect(HumanReadable.padded("toolong", toWidth: 3) == "toolong")
    }
}
