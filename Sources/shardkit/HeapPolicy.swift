#if canImport(Glibc)
/// glibc's `int mallopt(int param, int value)` (malloc.h, which Swift's Glibc module leaves out).
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif

/// How the dataset-writing commands (convert, synth, generate) ask glibc's allocator to behave.
///
/// By default glibc raises its mmap threshold every time a large block is freed, up to 32 MiB:
/// after the first few freed PNG files, decoded images and encoded chunks, blocks of that size
/// come from the worker threads' heaps instead and stay there once freed. Over a long run with
/// several jobs the largest blocks seen keep lifting the peak: SVHN's full train set peaked at
/// 77 MiB against 60 MiB for a tenth of it, with `--jobs 1` flat. A fixed threshold of 256 KiB
/// (which also turns the dynamic raise off) hands such blocks back to the system when they are
/// freed, and the peak stays where a short run puts it (65 against 63 MiB). The trainer is left
/// alone: it frees and reallocates multi-megabyte tensors every step, and mapping them afresh
/// each time would cost page faults on the hot path.
enum HeapPolicy {
    /// Blocks at least this large are mapped on their own and returned to the system when freed.
    static let mmapThreshold: Int32 = 256 << 10
    /// glibc's `M_MMAP_THRESHOLD` (malloc.h), which Swift's Glibc module does not import.
    private static let mmapThresholdParameter: Int32 = -3

    /// Applies the streaming policy to this process; call once, before the work starts.
    static func applyForStreaming() {
        #if canImport(Glibc)
        // mallopt returns 0 on failure; the default behaviour is then kept, which is only a
        // higher peak, never wrong output.
        _ = glibcMallopt(mmapThresholdParameter, mmapThreshold)
        #endif
    }
}
