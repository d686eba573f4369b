import Testing

@testable import Examples

@Suite struct MalformedInputTests {
    func expectError(
        _ bytes: [UInt8], _ reason: ExampleDecodingError.Reason, at offset: Int,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let error = decodeError(bytes)
        #expect(error?.reason == reason, sourceLocation: sourceLocation)
        #expect(error?.offset == offset, "\(String(describing: error))", sourceLocation: sourceLocation)
        let (_, viewAgrees) = decodeBoth(bytes)
        #expect(viewAgrees, "view must reject too", sourceLocation: sourceLocation)
    }

    @Test func truncatedVarint() {
        expectError([0x0A], .truncatedVarint, at: 1)  // length prefix missing
        expectError([0x0A, 0x80], .truncatedVarint, at: 1)  // length prefix cut
        expectError([0x88], .truncatedVarint, at: 0)  // tag cut
        expectError(PB.example(PB.entry("k", PB.ld(3, [0x0A, 0x01, 0x80]))), .truncatedVarint, at: 13)
    }

    @Test func varintLongerThanTenBytes() {
        let tooLong = PB.tag(2, 0) + [UInt8](repeating: 0xFF, count: 10) + [0x01]
        expectError(tooLong, .varintTooLong, at: 1)
        let packed = PB.example(PB.entry("k", PB.ld(3, PB.ld(1, [UInt8](repeating: 0x80, count: 11) + [0]))))
        expectError(packed, .varintTooLong, at: 13)
    }

    @Test func lengthBeyondBuffer() {
        expectError([0x0A, 0x05, 0x00], .lengthBeyondBuffer, at: 1)
        // Features says 3 bytes; the entry inside claims 5.
        expectError([0x0A, 0x03, 0x0A, 0x05, 0x00], .lengthBeyondBuffer, at: 3)
        // A huge length must not allocate anything: it is rejected against the bytes present.
        expectError([0x12, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F], .lengthBeyondBuffer, at: 1)
    }

    @Test func hugeNestedLengthsAreCheckedAgainstTheBytesPresent() {
        // Example → Features → entry → Feature → Int64List declaring 2⁶² bytes of packed values:
        // rejected where it is declared, before anything is reserved for the values.
        let packed = PB.example(PB.entry("k", PB.ld(3, PB.tag(1, 2) + PB.varint(1 << 62) + [0x01])))
        expectError(packed, .lengthBeyondBuffer, at: 12)
        // SequenceExample → FeatureLists → an entry declaring 2⁶² bytes.
        let sequence = PB.ld(2, PB.tag(1, 2) + PB.varint(1 << 62) + [0x00])
        let error = #expect(throws: ExampleDecodingError.self) { try SequenceExample(serializedBytes: sequence) }
        #expect(error?.reason == .lengthBeyondBuffer)
        #expect(error?.offset == 3)
    }

    @Test func truncatedFixedWidthValues() {
        expectError(PB.tag(3, 5) + [1, 2], .truncatedFixed, at: 1)
        expectError(PB.tag(3, 1) + [1, 2, 3, 4, 5, 6, 7], .truncatedFixed, at: 1)
        // An unpacked float cut short inside a FloatList.
        expectError(PB.example(PB.entry("f", PB.ld(2, PB.tag(1, 5) + [0, 0]))), .truncatedFixed, at: 12)
    }

    @Test func wrongWireTypeForKnownField() {
        expectError([0x08, 0x01], .wrongWireType, at: 0)  // Example.features as varint
        expectError(PB.ld(1, PB.vf(1, 1)), .wrongWireType, at: 2)  // Features map entry as varint
        expectError(PB.example(PB.ld(1, PB.vf(1, 1))), .wrongWireType, at: 4)  // key as varint
        expectError(PB.example(PB.ld(1, PB.vf(2, 1))), .wrongWireType, at: 4)  // value as varint
        expectError(PB.example(PB.entry("k", PB.vf(3, 1))), .wrongWireType, at: 9)  // Int64List as varint
        expectError(PB.example(PB.entry("k", PB.ld(3, PB.fixed32(1, 0)))), .wrongWireType, at: 11)
        expectError(PB.example(PB.entry("k", PB.ld(2, PB.vf(1, 0)))), .wrongWireType, at: 11)
        expectError(PB.example(PB.entry("k", PB.ld(1, PB.vf(1, 0)))), .wrongWireType, at: 11)
    }

    @Test func invalidUTF8Key() {
        expectError(hex("0a070a050a01ff1200"), .invalidUTF8Key, at: 6)
        // An overlong encoding and a lone surrogate are not UTF-8 either.
        expectError(PB.example(PB.ld(1, PB.ld(1, [0xC0, 0xAF]))), .invalidUTF8Key, at: 6)
        expectError(PB.example(PB.ld(1, PB.ld(1, [0xED, 0xA0, 0x80]))), .invalidUTF8Key, at: 6)
    }

    @Test func groupWireTypesRejected() {
        expectError([0x0B, 0x0C], .groupWireType, at: 0)  // field 1 start/end group
        expectError([0x13, 0x14], .groupWireType, at: 0)  // unknown field 2 as a group
        expectError(PB.example(PB.entry("k", PB.tag(9, 3) + PB.tag(9, 4))), .groupWireType, at: 9)
    }

    @Test func undefinedWireTypesAndFieldZero() {
        expectError([0x0E], .invalidWireType, at: 0)
        expectError([0x0F], .invalidWireType, at: 0)
        expectError([0x00, 0x00], .invalidFieldNumber, at: 0)
        expectError([0x02, 0x00], .invalidFieldNumber, at: 0)
        expectError(PB.varint(UInt64(1) << 32 | 2) + [0], .invalidFieldNumber, at: 0)
    }

    @Test func packedFloatsNotMultipleOfFour() {
        expectError(hex("0a0e0a0c0a016612071205" + "0a03000000"), .packedFloatLength, at: 12)
        expectError(PB.example(PB.entry("f", PB.ld(2, PB.ld(1, [0, 0, 0, 0, 0])))), .packedFloatLength, at: 12)
    }

    @Test func errorDescriptionNamesOffsetAndExpectation() throws {
        let error = try #require(decodeError([0x0A, 0x05, 0x00]))
        #expect(
            error.description
                == "lengthBeyondBuffer at payload offset 1: expected length of at most 1 bytes, found length 5")
        var sequenceError: ExampleDecodingError? = nil
        do throws(ExampleDecodingError) {
            _ = try SequenceExample(serializedBytes: [0x12, 0x02, 0x0A])
        } catch {
            sequenceError = error
        }
        #expect(sequenceError?.reason == .lengthBeyondBuffer)
    }
}
