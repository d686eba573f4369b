#include "shardkit_archive.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

// The libarchive functions shardkit calls, resolved by `load` (names as in archive.h).
static struct {
    struct archive *(*read_new)(void);
    int (*read_free)(struct archive *);
    int (*read_support_filter_gzip)(struct archive *);
    int (*read_support_filter_bzip2)(struct archive *);
    int (*read_support_filter_xz)(struct archive *);
    int (*read_support_format_tar)(struct archive *);
    int (*read_support_format_zip)(struct archive *);
    int (*read_set_callback_data)(struct archive *, void *);
    int (*read_set_read_callback)(struct archive *, archive_read_callback *);
    int (*read_set_seek_callback)(struct archive *, archive_seek_callback *);
    int (*read_open1)(struct archive *);
    int (*read_next_header)(struct archive *, struct archive_entry **);
    la_ssize_t (*read_data)(struct archive *, void *, size_t);
    int (*errno_of)(struct archive *);
    const char *(*error_string)(struct archive *);
    const char *(*entry_pathname)(struct archive_entry *);
    const char *(*entry_pathname_utf8)(struct archive_entry *);
    int (*entry_size_is_set)(struct archive_entry *);
    la_int64_t (*entry_size)(struct archive_entry *);
    __LA_MODE_T (*entry_filetype)(struct archive_entry *);
} table;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int status = -1;
static char error[512];

static int resolve(void *library, void **slot, const char *name) {
    *slot = dlsym(library, name);
    if (*slot) return 0;
    snprintf(error, sizeof error, "libarchive has no %s", name);
    return -1;
}

static void load(void) {
    void *library = dlopen("libarchive.so.13", RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        const char *why = dlerror();
        snprintf(error, sizeof error, "%s", why ? why : "libarchive.so.13 not found");
        return;
    }
    // The library stays loaded for the life of the process: the table points into it.
    if (resolve(library, (void **)&table.read_new, "archive_read_new") ||
        resolve(library, (void **)&table.read_free, "archive_read_free") ||
        resolve(library, (void **)&table.read_support_filter_gzip, "archive_read_support_filter_gzip") ||
        resolve(library, (void **)&table.read_support_filter_bzip2, "archive_read_support_filter_bzip2") ||
        resolve(library, (void **)&table.read_support_filter_xz, "archive_read_support_filter_xz") ||
        resolve(library, (void **)&table.read_support_format_tar, "archive_read_support_format_tar") ||
        resolve(library, (void **)&table.read_support_format_zip, "archive_read_support_format_zip") ||
        resolve(library, (void **)&table.read_set_callback_data, "archive_read_set_callback_data") ||
        resolve(library, (void **)&table.read_set_read_callback, "archive_read_set_read_callback") ||
        resolve(library, (void **)&table.read_set_seek_callback, "archive_read_set_seek_callback") ||
        resolve(library, (void **)&table.read_open1, "archive_read_open1") ||
        resolve(library, (void **)&table.read_next_header, "archive_read_next_header") ||
        resolve(library, (void **)&table.read_data, "archive_read_data") ||
        resolve(library, (void **)&table.errno_of, "archive_errno") ||
        resolve(library, (void **)&table.error_string, "archive_error_string") ||
        resolve(library, (void **)&table.entry_pathname, "archive_entry_pathname") ||
        resolve(library, (void **)&table.entry_pathname_utf8, "archive_entry_pathname_utf8") ||
        resolve(library, (void **)&table.entry_size_is_set, "archive_entry_size_is_set") ||
        resolve(library, (void **)&table.entry_size, "archive_entry_size") ||
        resolve(library, (void **)&table.entry_filetype, "archive_entry_filetype"))
        return;
    status = 0;
}

int shardkit_archive_load(void) {
    pthread_once(&once, load);
    return status;
}

const char *shardkit_archive_load_error(void) { return status == 0 ? NULL : error; }

struct archive *shardkit_archive_read_new(void) { return table.read_new(); }
int shardkit_archive_read_free(struct archive *a) { return table.read_free(a); }
int shardkit_archive_read_support_filter_gzip(struct archive *a) { return table.read_support_filter_gzip(a); }
int shardkit_archive_read_support_filter_bzip2(struct archive *a) { return table.read_support_filter_bzip2(a); }
int shardkit_archive_read_support_filter_xz(struct archive *a) { return table.read_support_filter_xz(a); }
int shardkit_archive_read_support_format_tar(struct archive *a) { return table.read_support_format_tar(a); }
int shardkit_archive_read_support_format_zip(struct archive *a) { return table.read_support_format_zip(a); }
int shardkit_archive_read_set_callback_data(struct archive *a, void *data) {
    return table.read_set_callback_data(a, data);
}
int shardkit_archive_read_set_read_callback(struct archive *a, archive_read_callback *callback) {
    return table.read_set_read_callback(a, callback);
}
int shardkit_archive_read_set_seek_callback(struct archive *a, archive_seek_callback *callback) {
    return table.read_set_seek_callback(a, callback);
}
int shardkit_archive_read_open1(struct archive *a) { return table.read_open1(a); }
int shardkit_archive_read_next_header(struct archive *a, struct archive_entry **entry) {
    return table.read_next_header(a, entry);
}
ptrdiff_t shardkit_archive_read_data(struct archive *a, void *buffer, size_t size) {
    return table.read_data(a, buffer, size);
}
int shardkit_archive_errno(struct archive *a) { return table.errno_of(a); }
const char *shardkit_archive_error_string(struct archive *a) { return table.error_string(a); }
const char *shardkit_archive_entry_pathname(struct archive_entry *e) { return table.entry_pathname(e); }
const char *shardkit_archive_entry_pathname_utf8(struct archive_entry *e) { return table.entry_pathname_utf8(e); }
int shardkit_archive_entry_size_is_set(struct archive_entry *e) { return table.entry_size_is_set(e); }
int64_t shardkit_archive_entry_size(struct archive_entry *e) { return table.entry_size(e); }
int shardkit_archive_entry_is_file(struct archive_entry *e) { return table.entry_filetype(e) == AE_IFREG; }
