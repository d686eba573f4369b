import Testing

@testable import Imaging

@Suite struct CropResizeTests {
    @Test func cropPicksTheBox() {
        let image = TestImages.noise(height: 10, width: 12, channels: 3)
        let crop = image.cropped(top: 2, left: 3, height: 4, width: 5)
        #expect(crop.height == 4 && crop.width == 5 && crop.channels == 3)
        for y in 0..<4 {
            for x in 0..<5 {
                for c in 0..<3 {
                    #expect(crop.pixels[(y * 5 + x) * 3 + c] == image.pixels[((y + 2) * 12 + x + 3) * 3 + c])
                }
            }
        }
        #expect(image.centerCropped(height: 4, width: 5) == image.cropped(top: 3, left: 3, height: 4, width: 5))
    }

    @Test func resizeOfConstantIsConstant() {
        let image = Image(height: 7, width: 9, channels: 3, pixels: [UInt8](repeating: 200, count: 7 * 9 * 3))
        let big = image.resizedBilinear(height: 20, width: 13)
        #expect(big.pixels.allSatisfy { $0 == 200 })
        #expect(image.resizedArea(height: 3, width: 4).pixels.allSatisfy { $0 == 200 })
    }

    @Test func halvingByAreaAverages() {
        let image = Image(height: 2, width: 2, channels: 1, pixels: [0, 10, 20, 31])
        #expect(image.resizedArea(height: 1, width: 1).pixels == [15])  // 15.25
        #expect(image.resizedBilinear(height: 1, width: 1).pixels == [15])
    }
}
