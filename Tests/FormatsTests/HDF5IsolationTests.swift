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
        // /proc files report size 0, so they are read to their end rather than by size; the new
        // command line may show a moment after posix_spawn returns, on a loaded machine.
        var commandLine = ""
        for _ in 0..<100 where commandLine.isEmpty {
            let bytes = try FileHandle(forReadingFrom: URL(fileURLWithPath: "/proc/\(child.pid)/cmdline")).readToEnd()
            commandLine = String(decoding: bytes ?? Data(), as: UTF8.self)
            if commandLine.isEmpty { usleep(100_000) }
        }
        #expect(commandLine == "shardkit-isolated-child\0")
        let ours = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(child.pid)/exe") == ours)
        #expect(kill(child.pid, SIGKILL) == 0)
        let error = formatError { _ = try child.receiveCount() }
        #expect(error?.kind == .decode && error?.record == nil)
        #expect(
            error?.message.hasPrefix("libhdf5 failed on this file (its reader process was killed by signal 9 (")
                == true, "\(String(describing: error))")
    }

    /// The child lives as long as this process, not as long as the thread that started it (with
    /// PR_SET_PDEATHSIG it was killed when that thread ended): a child started on a thread that
    /// has ended is still there to be stopped for its silence.
    @Test func theChildOutlivesTheThreadThatStartedIt() throws {
        final class Started: @unchecked Sendable { var child: IsolatedHDF5Child? }
        let started = Started()
        let path = silentInput
        let thread = Thread {
            started.child = try? IsolatedHDF5Child(
                path: path, job: .digitStructWalk(walker: 0, walkers: 1, fromImage: false), silenceLimit: 2)
            // The thread ends once the child is surely past its start-up, blocked in libhdf5.
            usleep(500_000)
        }
        thread.start()
        while !thread.isFinished { usleep(10_000) }
        let child = try #require(started.child)
        let error = formatError { _ = try child.receiveCount() }
        #expect(error?.message == "libhdf5 made no progress on this file for 2 s and was stopped")
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

    /// A child that cannot do its job exits with a status of its own, which is not blamed on the
    /// file: here it is told to read a file image but given no descriptor for it.
    @Test func aChildThatCannotStartIsAnIOErrorNotTheFiles() throws {
        let child = try IsolatedHDF5Child(
            path: silentInput, job: .digitStructWalk(walker: 0, walkers: 1, fromImage: true), input: nil)
        let error = formatError { _ = try child.receiveCount() }
        #expect(error?.kind == .io && error?.record == nil)
        #expect(error?.message == "cannot start the HDF5 reader: it could not read the file image it was given")
    }

    /// Other exit statuses (a sanitizer's, libhdf5 calling exit) are the file's.
    @Test func anyOtherExitStatusIsNamed() throws {
        let child = try IsolatedHDF5Child(
            path: silentInput, job: .digitStructWalk(walker: 0, walkers: 1, fromImage: false))
        let error = child.failure(status: 3 << 8, record: 4)
        #expect(error.kind == .decode && error.record == 4)
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
