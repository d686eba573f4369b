// c-kernels: the C-level tests of the kernels in Sources/CShardKitCPU, CShardKitCRC32C, CShardKitConvKernels and
// CShardKitDeflate, and of the JPEG shim in Sources/CShardKitJPEG. Each kernel is checked against a reference
// written here (not the library's own fallback code), on known vectors and on random inputs
// (the shim by round trips and its error paths); the kernels run in the tier that
// `shardkit_cpu()` puts in force, so scripts/test-c-kernels.sh runs this program once per tier
// with SHARDKIT_ISA set, natively, under ASan/UBSan and under qemu-aarch64.
//
// Usage: c-kernels [GROUP...]   run the groups named (crc32c gemm elementwise deflate filters jpeg), or all
//        c-kernels --tiers      print the tiers this CPU can run (lowest first) and exit
// Environment: SHARDKIT_ISA caps the tier (read by the library); CK_EXPECT_TIER=<name> makes the
// run fail unless that tier is in force (so a cap that silently did nothing is caught); CK_SEED
// changes the random inputs.
//
// The last line is "c-kernels: N passed, M failed"; the exit status is non-zero on any failure.
#include "ck.h"
#include "crc32c.h"
#include "shardkit_cpu.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passed, failed;
static char case_name[200];
static int case_open, case_failures;

enum { PRINTED_FAILURES = 8 };

void ck_begin(const char *name, ...) {
    if (case_open) ck_end();
    va_list args;
    va_start(args, name);
    vsnprintf(case_name, sizeof case_name, name, args);
    va_end(args);
    case_open = 1;
    case_failures = 0;
}

void ck_fail(const char *format, ...) {
    case_failures++;
    if (case_failures > PRINTED_FAILURES) return;
    va_list args;
    va_start(args, format);
    printf("    FAIL %s: ", case_open ? case_name : "(no case)");
    vprintf(format, args);
    printf("\n");
    va_end(args);
    if (case_failures == PRINTED_FAILURES) printf("    (further failures of this case not shown)\n");
    fflush(stdout);
}

int ck_end(void) {
    if (!case_open) return 1;
    case_open = 0;
    if (case_failures == 0) {
        passed++;
        printf("  ok   %s\n", case_name);
    } else {
        failed++;
        printf("  FAIL %s (%d failed checks)\n", case_name, case_failures);
    }
    fflush(stdout);
    return case_failures == 0;
}

void ck_skip(const char *what, const char *why, ...) {
    va_list args;
    va_start(args, why);
    printf("skipped: %s: ", what);
    vprintf(why, args);
    printf("\n");
    va_end(args);
    fflush(stdout);
}

void ck_note(const char *format, ...) {
    va_list args;
    va_start(args, format);
    printf("  ");
    vprintf(format, args);
    printf("\n");
    va_end(args);
    fflush(stdout);
}

void *ck_alloc(size_t size) {
    void *p = malloc(size ? size : 1);
    if (!p) {
        printf("c-kernels: out of memory (%zu bytes)\n", size);
        exit(2);
    }
    return p;
}

uint64_t ck_seed(void) {
    const char *s = getenv("CK_SEED");
    return s && *s ? strtoull(s, NULL, 0) : 0x5EEDC0DE2026ull;
}

static const char *arch_name(void) {
#if defined(__x86_64__)
    return "x86_64";
#elif defined(__aarch64__)
    return "aarch64";
#else
    return "other";
#endif
}

static void print_runnable_tiers(void) {
    // Without a cap the tier in force is the CPU's best; the tiers of this architecture at or
    // below it are the runnable ones. The script runs this with SHARDKIT_ISA unset.
    static const int order[] = {SHARDKIT_TIER_PORTABLE, SHARDKIT_TIER_AVX2, SHARDKIT_TIER_AVX512, SHARDKIT_TIER_ARMV8};
    const char *sep = "";
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        if (shardkit_cpu_tier_runnable(order[i])) {
            printf("%s%s", sep, shardkit_cpu_tier_name(order[i]));
            sep = " ";
        }
    }
    printf("\n");
}

static int wanted(int argc, char **argv, const char *group) {
    if (argc <= 1) return 1;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], group) == 0) return 1;
    return 0;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 2 && strcmp(argv[1], "--tiers") == 0) {
        print_runnable_tiers();
        return 0;
    }
    const shardkit_cpu_info *cpu = shardkit_cpu();
    const char *cap = getenv("SHARDKIT_ISA");
    printf("c-kernels: %s, cpu tier %s, tier in force %s (SHARDKIT_ISA=%s), features 0x%x, crc32c kernel \"%s\", "
           "seed 0x%llx\n",
           arch_name(), shardkit_cpu_tier_name(cpu->cpu_tier), shardkit_cpu_tier_name(cpu->tier),
           cap ? cap : "unset", (unsigned)cpu->features, shardkit_crc32c_kernel_name(),
           (unsigned long long)ck_seed());

    printf("cpu\n");
    ck_begin("the cap was understood and the tier in force is runnable");
    CK_CHECK(!cpu->cap_ignored, "SHARDKIT_ISA=%s was ignored", cap ? cap : "");
    CK_CHECK(shardkit_cpu_tier_runnable(cpu->tier), "tier in force %d is not runnable", cpu->tier);
    CK_CHECK(shardkit_cpu_clamp_tier(cpu->tier) == cpu->tier, "clamp moved the tier in force");
    ck_end();
    const char *expect = getenv("CK_EXPECT_TIER");
    if (expect && *expect) {
        ck_begin("tier in force is %s", expect);
        CK_CHECK(strcmp(shardkit_cpu_tier_name(cpu->tier), expect) == 0, "tier in force is %s",
                 shardkit_cpu_tier_name(cpu->tier));
        ck_end();
    }

    if (wanted(argc, argv, "crc32c")) {
        printf("crc32c\n");
        test_crc32c();
        ck_end();
    }
    if (wanted(argc, argv, "gemm")) {
        printf("gemm\n");
        test_gemm();
        ck_end();
    }
    if (wanted(argc, argv, "elementwise")) {
        printf("elementwise\n");
        test_elementwise();
        test_pooling();
        test_batchnorm();
        ck_end();
    }
    if (wanted(argc, argv, "deflate")) {
        printf("deflate\n");
        test_deflate();
        ck_end();
    }
    if (wanted(argc, argv, "filters")) {
        printf("filters\n");
        test_filters();
        ck_end();
    }
    if (wanted(argc, argv, "jpeg")) {
#ifdef CK_NO_JPEG
        ck_skip("jpeg", "this build has no libjpeg for its target");
#else
        printf("jpeg\n");
        test_jpeg();
        ck_end();
#endif
    }
    printf("c-kernels: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
