import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Reports progress of long work on standard error: a redrawn bar on a terminal (records,
/// records/s, time left when the total is known), and a plain line every `lineInterval` records
/// when standard error is a file or a pipe, so CI logs stay readable.
public final class ProgressReporter: Sendable {
    private struct State {
        var done = 0
        var lastDraw: Double = 0
        var lastLineAt = 0
    }

    private let label: String
    private let total: Int?
    private let isTerminal: Bool
    private let quiet: Bool
    private let lineInterval: Int
    private let start: Double
    private let state = Mutex(State())

    /// - Parameters:
    ///   - label: what is being counted, e.g. `"convert mnist/train"`.
    ///   - total: the number of records expected, when known (enables the bar and time left).
    ///   - quiet: report nothing (for `--quiet` and for tests).
    ///   - lineInterval: records between plain lines when standard error is not a terminal.
    public init(label: String, total: Int?, quiet: Bool = false, lineInterval: Int = 10_000) {
        self.label = label
        self.total = total
        self.quiet = quiet
        self.lineInterval = max(1, lineInterval)
        self.isTerminal = isatty(STDERR_FILENO) == 1 && ProcessInfo.processInfo.environment["TERM"] != "dumb"
        self.start = Self.now()
    }

    /// Seconds since this reporter was made.
    public var elapsed: Double { Self.now() - start }

    /// Records counted so far.
    public var completed: Int { state.withLock { $0.done } }

    /// Counts `count` more records done; redraws at most ten times a second.
    public func advance(by count: Int = 1) {
        let line: String? = state.withLock { s in
            s.done += count
            if quiet { return nil }
            let now = Self.now()
            if isTerminal {
                guard now - s.lastDraw >= 0.1 else { return nil }
                s.lastDraw = now
                return "\r" + render(done: s.done, elapsed: now - start) + "\u{1B}[K"
            }
            guard s.done - s.lastLineAt >= lineInterval else { return nil }
            s.lastLineAt = s.done - s.done % lineInterval
            return render(done: s.done, elapsed: now - start) + "\n"
        }
        if let line { Self.writeStandardError(line) }
    }

    /// Ends the bar: draws the final state and moves to a new line (terminal only).
    public func finish() {
        guard !quiet, isTerminal else { return }
        let done = completed
        Self.writeStandardError("\r" + render(done: done, elapsed: elapsed) + "\u{1B}[K\n")
    }

    private func render(done: Int, elapsed: Double) -> String {
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        var text = "\(label): \(done) records, \(Self.formatRate(rate)) records/s"
        if let total, total > 0 {
            let fraction = min(1, Double(done) / Double(total))
            let width = 24
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            text = "\(label) [\(bar)] \(done)/\(total) records, \(Self.formatRate(rate)) records/s"
            if rate > 0, done < total {
                text += ", \(Self.formatDuration(Double(total - done) / rate)) left"
            }
        }
        return text
    }

    /// `1234567.0` → `"1.23M"`, `5400` → `"5.4k"`.
    static func formatRate(_ rate: Double) -> String {
        switch rate {
        case 1_000_000...: return String(format: "%.2fM", rate / 1_000_000)
        case 1_000...: return String(format: "%.1fk", rate / 1_000)
        default: return String(format: "%.0f", rate)
        }
    }

    /// Seconds as `"42s"`, `"3m05s"` or `"1h02m"`.
    static func formatDuration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s)s" }
        if s < 3600 { return String(format: "%dm%02ds", s / 60, s % 60) }
        return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60)
    }

    private static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    private static func writeStandardError(_ text: String) {
        var text = text
        text.withUTF8 { bytes in _ = write(STDERR_FILENO, bytes.baseAddress, bytes.count) }
    }
}
