/// Geometry of `contactSheet`: cells of `cellSize × cellSize` pixels plus a label line under
/// each, `padding` pixels between cells and around the edge.
public enum ContactSheetLayout {
    /// Pixels of background between cells and around the sheet's edge.
    public static let padding = 2
    /// Height of the label line below each cell with the built-in font: the font plus one blank
    /// row above and below.
    public static let labelHeight = labelHeight(for: BitmapTypeface())

    /// Height of the label line below each cell when labels are drawn in `typeface`.
    public static func labelHeight(for typeface: any LabelTypeface) -> Int { typeface.lineHeight + 2 }
    /// The RGB fill behind cells and labels: dark gray, so black and white digits both show.
    public static let background: [UInt8] = [32, 32, 32]
    /// The RGB colour labels are drawn in (white).
    public static let labelColor: [UInt8] = [255, 255, 255]

    /// Top-left corner of cell `index` (its image area; the label starts `cellSize + 1` below).
    public static func origin(
        ofCell index: Int, columns: Int, cellSize: Int, labelHeight: Int = labelHeight
    ) -> (x: Int, y: Int) {
        let row = index / columns
        let column = index % columns
        return (padding + column * (cellSize + padding), padding + row * (cellSize + labelHeight + padding))
    }
}

/// An RGB sheet of `images` in a grid of `columns`, each scaled to fit a `cellSize` square
/// (aspect kept, centred; `resizedArea`, which averages when shrinking and repeats pixels when
/// enlarging), with `labels[i]` (if any) drawn under image `i` in white in `typeface` (the
/// built-in bitmap font at scale 1 unless given), whole characters clipped to the cell width;
/// characters the bitmap font lacks are drawn as `?`. Gray images are shown as RGB.
/// Size: `columns × (cellSize + 2) + 2` wide, `rows × (cellSize + typeface.lineHeight + 2 + 2) + 2`
/// high (9 + 2 for the bitmap font), where `rows = ⌈count / columns⌉` (see `ContactSheetLayout`).
public func contactSheet(
    images: [Image], labels: [String], columns: Int, cellSize: Int, typeface: any LabelTypeface = BitmapTypeface()
) -> Image {
    precondition(columns > 0 && cellSize > 0, "columns and cellSize must be positive")
    let pad = ContactSheetLayout.padding
    let labelHeight = ContactSheetLayout.labelHeight(for: typeface)
    let rows = max(1, (images.count + columns - 1) / columns)
    let width = columns * (cellSize + pad) + pad
    let height = rows * (cellSize + labelHeight + pad) + pad
    var sheet = Image(height: height, width: width, channels: 3)
    sheet.fill(x: 0, y: 0, width: width, height: height, color: ContactSheetLayout.background)
    for (index, image) in images.enumerated() {
        let (cx, cy) = ContactSheetLayout.origin(
            ofCell: index, columns: columns, cellSize: cellSize, labelHeight: labelHeight)
        if image.width > 0 && image.height > 0 {
            let scale = min(Double(cellSize) / Double(image.width), Double(cellSize) / Double(image.height))
            let w = max(1, min(cellSize, Int((Double(image.width) * scale).rounded())))
            let h = max(1, min(cellSize, Int((Double(image.height) * scale).rounded())))
            let fitted = image.rgb().resizedArea(height: h, width: w)
            sheet.paste(fitted, x: cx + (cellSize - w) / 2, y: cy + (cellSize - h) / 2)
        }
        if index < labels.count {
            typeface.draw(
                labels[index], on: &sheet, x: cx, y: cy + cellSize + 1, maxWidth: cellSize,
                color: ContactSheetLayout.labelColor)
        }
    }
    return sheet
}

extension Image {
    /// Copies `other` (same channel count) with its top-left corner at (`x`, `y`), clipped.
    mutating func paste(_ other: Image, x: Int, y: Int) {
        precondition(other.channels == channels, "channel counts differ")
        let c = channels
        for row in 0..<other.height where y + row >= 0 && y + row < height {
            for col in 0..<other.width where x + col >= 0 && x + col < width {
                let from = (row * other.width + col) * c
                let to = ((y + row) * width + x + col) * c
                for k in 0..<c { pixels[to + k] = other.pixels[from + k] }
            }
        }
    }
}
