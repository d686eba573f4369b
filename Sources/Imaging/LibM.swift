// `Float.rounded` and friends call libm's `floorf`, `rintf`, …; importing the C library makes
// the linker add `-lm` for every product that uses this module.
#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Musl)
    internal import Musl
#endif
