internal import CShardKitHDF5
internal import Foundation
internal import Glibc

/// libhdf5 (serial build) is not thread-safe: every call into it runs under this lock. It is
/// recursive because handles close themselves (taking the lock) inside locked regions too.
let hdf5Lock = NSRecursiveLock()

/// Runs `body` holding `hdf5Lock`.
func withHDF5<T>(_ body: () throws(FormatError) -> T) throws(FormatError) -> T {
    hdf5Lock.lock()
    defer { hdf5Lock.unlock() }
    return try body()
}

/// HDF5's error stack as text (most specific first), cleared afterwards.
func hdf5Message() -> String {
    var text = [CChar](repeating: 0, count: 512)
    shardkit_h5e_message(&text, text.count)
    return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// One open HDF5 identifier, closed in `deinit` with the matching C function
/// (`H5Fclose`, `H5Gclose`, `H5Dclose`, `H5Sclose`, `H5Tclose`, `H5Oclose` for objects
/// opened through a reference, or `H5Pclose` for property lists), under `hdf5Lock`.
final class H5Handle {
    enum Kind {
        case file, group, dataset, dataspace, datatype, object, propertyList
    }

    let id: hid_t
    let kind: Kind

    /// Wraps `id`, or returns `nil` when `id` is negative (HDF5's failure value).
    init?(_ id: hid_t, _ kind: Kind) {
        guard id >= 0 else { return nil }
        self.id = id
        self.kind = kind
    }

    deinit {
        hdf5Lock.lock()
        defer { hdf5Lock.unlock() }
        switch kind {
        case .file: H5Fclose(id)
        case .group: H5Gclose(id)
        case .dataset: H5Dclose(id)
        case .dataspace: H5Sclose(id)
        case .datatype: H5Tclose(id)
        case .object: H5Oclose(id)
        case .propertyList: if id != shardkit_h5p_default() { H5Pclose(id) }
        }
    }
}

/// The few HDF5 operations the digitStruct reader needs, each turning failure into a
/// `FormatError` that names the file and the object. Callers hold `hdf5Lock`.
struct HDF5File {
    let path: String
    let file: H5Handle
    /// The transfer list every `H5Dread` here uses: a small type-conversion buffer, as the reads
    /// are of a few elements each (`shardkit_h5p_small_transfer`).
    private let transfer = H5Handle(shardkit_h5p_small_transfer(4096), .propertyList)!

    /// Opens read-only (`H5Fopen`). A MATLAB v7.3 file's 512-byte user block is skipped by libhdf5.
    init(path: String) throws(FormatError) {
        shardkit_h5e_silence()
        self.path = path
        guard access(path, F_OK) == 0 else {
            throw FormatError(.missingFile, path: path, "cannot open: No such file or directory")
        }
        // Metadata is evicted as objects close, so memory stays flat however many entries.
        let access = H5Handle(shardkit_h5p_evicting_file_access(), .propertyList)!
        guard let file = H5Handle(H5Fopen(path, shardkit_h5f_acc_rdonly(), access.id), .file) else {
            throw FormatError(
                .io, path: path, "not an HDF5 (MATLAB v7.3) file: \(hdf5Message())",
                expected: "MATLAB 7.3 MAT-file")
        }
        self.file = file
    }

    /// Opens a file held in memory (`H5LTopen_file_image`, read-only), for a digitStruct.mat
    /// read out of an archive: `bytes` are copied once into a buffer that libhdf5 then uses in
    /// place (no copy of its own) and frees when the file is closed, so the file costs its size
    /// in memory once. `path` names it in errors. The MATLAB user block is skipped as on disk.
    init(image bytes: [UInt8], path: String) throws(FormatError) {
        shardkit_h5e_silence()
        self.path = path
        guard !bytes.isEmpty, let buffer = malloc(bytes.count) else {
            throw FormatError(
                .badSize, path: path, "empty or too large to hold in memory", found: "\(bytes.count) bytes")
        }
        bytes.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        // On failure libhdf5 may or may not have taken the buffer; it is left to it (at worst a
        // leak on a path that ends the conversion), never freed twice.
        let opened = H5LTopen_file_image(buffer, bytes.count, shardkit_h5lt_image_dont_copy())
        guard let file = H5Handle(opened, .file) else {
            throw FormatError(
                .io, path: path, "not an HDF5 (MATLAB v7.3) file: \(hdf5Message())", expected: "MATLAB 7.3 MAT-file")
        }
        // H5LTopen_file_image takes no access list: the cache is capped instead (4 MiB).
        _ = shardkit_h5f_cap_metadata_cache(file.id, 4 << 20)
        self.file = file
    }

    /// Whether a link at `name` (absolute path, one level at a time) exists (`H5Lexists`).
    func exists(_ name: String) -> Bool {
        var partial = ""
        for component in name.split(separator: "/") {
            partial += "/" + component
            if H5Lexists(file.id, partial, shardkit_h5p_default()) <= 0 {
                _ = hdf5Message()
                return false
            }
        }
        return true
    }

    func openDataset(_ location: H5Handle, _ name: String, what: String, record: Int? = nil) throws(FormatError)
        -> H5Handle
    {
        guard H5Lexists(location.id, name, shardkit_h5p_default()) > 0,
            let ds = H5Handle(H5Dopen2(location.id, name, shardkit_h5p_default()), .dataset)
        else {
            _ = hdf5Message()
            throw FormatError(.missingEntry, path: path, record: record, "no dataset \(what)")
        }
        return ds
    }

    /// Element count and dimensions of a dataset (`H5Dget_space`, `H5Sget_simple_extent_dims`).
    func shape(_ dataset: H5Handle, what: String, record: Int?) throws(FormatError) -> [Int] {
        guard let space = H5Handle(H5Dget_space(dataset.id), .dataspace) else {
            throw FormatError(.io, path: path, record: record, "cannot read the shape of \(what): \(hdf5Message())")
        }
        let rank = Int(H5Sget_simple_extent_ndims(space.id))
        guard rank >= 0 else {
            throw FormatError(.io, path: path, record: record, "cannot read the shape of \(what): \(hdf5Message())")
        }
        var dims = [hsize_t](repeating: 0, count: max(rank, 1))
        H5Sget_simple_extent_dims(space.id, &dims, nil)
        return rank == 0 ? [1] : dims.prefix(rank).map { Int(clamping: $0) }
    }

    /// The number of elements of `shape`, or an error when it exceeds `limit` (a file can declare
    /// dimensions whose product does not even fit in 64 bits; nothing is allocated before this).
    func elementCount(_ shape: [Int], limit: Int, what: String, record: Int?) throws(FormatError) -> Int {
        var count = 1
        for dimension in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow, product <= limit else {
                throw FormatError(
                    .badRecord, path: path, record: record, "implausible size of \(what)",
                    expected: "at most \(limit) elements",
                    found: shape.map(String.init).joined(separator: "×"))
            }
            count = product
        }
        return count
    }

    /// The type class of a dataset's elements (`H5Dget_type`, `H5Tget_class`).
    func typeClass(_ dataset: H5Handle) -> H5T_class_t {
        guard let type = H5Handle(H5Dget_type(dataset.id), .datatype) else { return H5T_NO_CLASS }
        return H5Tget_class(type.id)
    }

    /// Reads element `index` (row-major over the dataset's shape) of an object-reference dataset
    /// (`H5Sselect_elements` + `H5Dread` with `H5T_STD_REF_OBJ`).
    func reference(_ dataset: H5Handle, at index: Int, shape: [Int], what: String, record: Int?) throws(FormatError)
        -> hobj_ref_t
    {
        var coordinates = [hsize_t](repeating: 0, count: shape.count)
        var rest = index
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            coordinates[axis] = hsize_t(rest % shape[axis])
            rest /= shape[axis]
        }
        guard let fileSpace = H5Handle(H5Dget_space(dataset.id), .dataspace),
            H5Sselect_elements(fileSpace.id, H5S_SELECT_SET, 1, &coordinates) >= 0
        else {
            throw FormatError(.io, path: path, record: record, "cannot select \(what): \(hdf5Message())")
        }
        var one: hsize_t = 1
        guard let memorySpace = H5Handle(H5Screate_simple(1, &one, nil), .dataspace) else {
            throw FormatError(.io, path: path, record: record, "cannot read \(what): \(hdf5Message())")
        }
        var ref: hobj_ref_t = 0
        guard
            H5Dread(dataset.id, shardkit_h5t_std_ref_obj(), memorySpace.id, fileSpace.id, transfer.id, &ref)
                >= 0
        else {
            throw FormatError(.io, path: path, record: record, "cannot read \(what): \(hdf5Message())")
        }
        return ref
    }

    /// Opens the object a reference points to (`H5Rdereference2`) and checks its kind (`H5Iget_type`).
    func dereference(_ ref: hobj_ref_t, from location: H5Handle, expecting: H5I_type_t, what: String, record: Int?)
        throws(FormatError) -> H5Handle
    {
        var ref = ref
        guard let object = H5Handle(H5Rdereference2(location.id, shardkit_h5p_default(), H5R_OBJECT, &ref), .object)
        else {
            throw FormatError(
                .badRecord, path: path, record: record, "\(what) is a dangling object reference: \(hdf5Message())")
        }
        guard H5Iget_type(object.id) == expecting else {
            throw FormatError(
                .badRecord, path: path, record: record, "\(what) refers to the wrong kind of object",
                expected: expecting == H5I_GROUP ? "a group" : "a dataset", found: "another kind")
        }
        return object
    }

    /// Reads a whole dataset converted to `type` (`H5Dread` with `H5S_ALL`).
    func readAll<T: Numeric>(_ dataset: H5Handle, as type: hid_t, count: Int, what: String, record: Int?)
        throws(FormatError) -> [T]
    {
        var values = [T](repeating: 0, count: count)
        let status = values.withUnsafeMutableBytes {
            H5Dread(dataset.id, type, shardkit_h5s_all(), shardkit_h5s_all(), transfer.id, $0.baseAddress)
        }
        guard status >= 0 else {
            throw FormatError(.badRecord, path: path, record: record, "cannot read \(what): \(hdf5Message())")
        }
        return values
    }

    /// Reads a whole object-reference dataset.
    func readReferences(_ dataset: H5Handle, count: Int, what: String, record: Int?) throws(FormatError)
        -> [hobj_ref_t]
    {
        try readAll(dataset, as: shardkit_h5t_std_ref_obj(), count: count, what: what, record: record)
    }
}
