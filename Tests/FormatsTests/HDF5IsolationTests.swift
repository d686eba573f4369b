import Foundation
import Glibc
import TestSupport
import Testing

@testable import Formats

/// libhdf5 runs in a child process (`IsolatedHDF5Child`): whatever happens to the child, the
/// reader gets a `FormatError` naming the file and the entry, and the child is gone afterwards.
@Suite struct HDF5IsolationTests {
    let scratch: Scratch
    /// A named pipe with no writer: libhdf5's `open` of it blocks, so the child stays silent.
    let silentInput: String

    init() throws {
        scratch = try Scratch()
        silentInput = scratch.file("digitStruct.mat")
        #expect(mkfifo(silentInput, 0o600) == 0)
    }

    /// The child is this executable started again (no fork of this multi-threaded process, whose
    /// other threads' locks a forked child inherits): its /proc entry shows the same executable
    /// under the child's own name. Killing it is an error on what was being read.
    @Test func theChildIsThisExecutableStartedAgain() throws {
        let child = try IsolatedHDF5Child(
            path: silentInput, job: .digitStructWalk(walker: 0, walkers: 1, fromImage: false))
        // /proc files report size 0, so they are read to their end rather than by size.
        let commandLine =
            try FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/\(child.pid)/cmdline"))
            .readToEnd() ?? Data()
        #expect(String(decoding: commandLine, as: UTF8.self) == "shardkit-isolated-child\0")
        let ours = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(child.pid)/exe") == ours)
        #expect(kill(child.pid, SIGKILL) == 0)
        let error = formatError { _ = try child.receiveCount() }
        #expect(error?.kind == .decode && error?.record == nil)
        #expect(
            error?.message.hasPrefix("libhdf5 failed on this file (its reader process was killed by signal 9 (")
                == true, "\(String(describing: error))")
    }

    @Test func aSilentChildIsStoppedAfterTheLimit() throws {
        let child = try IsolatedHDF5Child(
            path: silentInput, job: .digitStructWalk(walker: 0, walkers: 1, fromImage: false), silenceLimit: 1)
        let start = Date()
        let error = formatError { _ = try child.receiveCount() }
        #expect(Date().timeIntervalSince(start) < 10)
        #expect(error?.message == "libhdf5 made no progress on this file for 1 s and was stopped")
        #expect(kill(child.pid, 0) != 0, "the silent child is still there")
    }

    @Test func aChildsExitStatusIsNamed() throws {
        let child = try IsolatedHDF5Child(
            path: silentInput, job: .digitStructWalk(walker: 0, walkers: 1, fromImage: false))
        let error = child.failure(status: 3 << 8, record: 4)
        #expect(error.record == 4)
        #expect(
            error.message.hasPrefix(
                "libhdf5 failed on this file (its reader process exited with status 3 before it finished)"))
    }

    @Test func readingAllEntriesEndsWithACleanExit() throws {
        // The reader over a real file: the end marker comes after the last entry and the child exits 0.
        let reader = try DigitStructReader(url: FixturePaths.fixture("svhn/test/digitStruct.mat"))
        #expect(try readAll(reader).count == reader.count)
        #expect(try reader.next() == nil)
    }

    /// A fuzzed file on which libhdf5 1.10.8 dereferences a bad pointer while reading entry 1: in
    /// process it killed the test runner; isolated, the first entry arrives and the second is an
    /// error naming it.
    @Test func aFileThatSegfaultsLibHDF5IsAnErrorOnItsEntry() throws {
        let url = FixturePaths.repositoryRoot.appendingPathComponent("Fuzz/regressions/fuzz-digitstruct/hdf5-segv.mat")
        let reader = try DigitStructReader(url: url)
        #expect(try reader.next()?.name == "1.png")
        let error = formatError { _ = try reader.next() }
        #expect(error?.kind == .decode)
        #expect(error?.path == url.path && error?.record == 1)
        #expect(error?.message.contains("killed by signal 11") == true, "\(String(describing: error))")
        #expect(try reader.next() == nil)
    }

    /// Files on which libhdf5 1.10 misbehaved in-process under the fuzzer (a request for 3 PiB in
    /// H5C_protect; memory leaked on an error path): now ordinary errors.
    @Test(arguments: ["hdf5-alloc-3PiB.mat", "hdf5-leak.mat"])
    func filesThatBrokeLibHDF5AreErrors(name: String) throws {
        let url = FixturePaths.repositoryRoot.appendingPathComponent("Fuzz/regressions/fuzz-digitstruct/\(name)")
        let error = formatError {
            let reader = try DigitStructReader(url: url)
            while try reader.next() != nil {}
        }
        #expect(error != nil)
        #expect(error?.path == url.path)
    }
}
