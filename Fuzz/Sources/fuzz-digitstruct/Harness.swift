// SVHN's digitStruct.mat (MATLAB v7.3, i.e. HDF5) through libhdf5: the fuzzed bytes are written to
// a file, since libhdf5 opens files, and read entry by entry as the SVHN converter does.
//
// DigitStructReader parses in a child process (see formats/svhn-digitstruct.md), so what libhdf5
// does to itself on a crafted file happens there and comes back as a FormatError. The child is this
// fuzzer's executable started again, sanitizers and all, but it runs the parse instead of
// libFuzzer's main (so no crash of its is taken for this process's), its output goes to
// /dev/null, and huge requests fail as glibc's malloc fails them (allocator_may_return_null). The
// coverage the fuzzer sees is this process's: the reader and its pipe, not libhdf5's parse. At exit the harness prints how many
// inputs made the child die; with FUZZ_SAVE_CHILD_DEATHS=DIR it also copies each such input there
// (how Fuzz/regressions/fuzz-digitstruct/hdf5-segv.mat was found).
import Formats
import Foundation
import FuzzSupport
import Glibc

@_cdecl("__asan_default_options")
public func asanDefaultOptions() -> UnsafePointer<CChar>? {
    UnsafeRawPointer(StaticString("allocator_may_return_null=1").utf8Start).assumingMemoryBound(to: CChar.self)
}

/// Inputs whose child process died (libhdf5 crashed, or a sanitizer stopped it) and that hung.
nonisolated(unsafe) private var childFailures = 0
nonisolated(unsafe) private var childHangs = 0

/// Installed once: the count printed at exit.
private let installed: Bool = {
    atexit {
        let line =
            "fuzz-digitstruct: the libhdf5 child died on \(childFailures) input(s) and hung on \(childHangs); "
            + "each became a FormatError\n"
        _ = line.withCString { write(2, $0, strlen($0)) }
    }
    return true
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDigitStruct(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    _ = installed
    let url = URL(fileURLWithPath: Scratch.write(fuzzInput(data, size), to: "digitStruct.mat"))
    do throws(FormatError) {
        let reader = try DigitStructReader(url: url)
        var index = 0
        while let entry = try reader.next() {
            fuzzCheck(entry.index == index, "entries out of order")
            fuzzCheck(!entry.boxes.isEmpty, "an entry without boxes was returned")
            index += 1
        }
        fuzzCheck(index == reader.count, "\(index) entries read, \(reader.count) announced")
    } catch {
        fuzzCheck(error.path == url.path, "an error that does not name the file: \(error)")
        if error.message.hasPrefix("libhdf5 failed on this file") {
            childFailures += 1
            if let directory = getenv("FUZZ_SAVE_CHILD_DEATHS") {
                let name = String(cString: directory) + "/child-death-\(childFailures)-\(getpid()).mat"
                let fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
                if fd >= 0, let data { _ = write(fd, data, size) }
                if fd >= 0 { close(fd) }
            }
        }
        if error.message.hasPrefix("libhdf5 made no progress") { childHangs += 1 }
    }
    return 0
}
