#pragma once
// libarchive, loaded when the first archive is opened rather than when shardkit starts: it brings
// libxml2, ICU, liblzma, libbz2 and liblz4 with it, about 3.7 MB of resident memory and a
// millisecond of relocations that every run would pay, archive or not. The types and constants
// come from libarchive's own headers; the functions are called through these wrappers, which
// reach libarchive's through a table filled by `shardkit_archive_load`.
#include <archive.h>
#include <archive_entry.h>
#include <stddef.h>
#include <stdint.h>

/// Loads libarchive (`libarchive.so.13`) and resolves every function below, once per process
/// (later calls return the first result): 0 on success, -1 when the library or a function is
/// missing (`shardkit_archive_load_error` says which). No other function here may be called
/// before it has returned 0.
int shardkit_archive_load(void);
/// What `shardkit_archive_load` could not find, or NULL after a successful load.
const char *shardkit_archive_load_error(void);

struct archive *shardkit_archive_read_new(void);
int shardkit_archive_read_free(struct archive *archive);
int shardkit_archive_read_support_filter_gzip(struct archive *archive);
int shardkit_archive_read_support_filter_bzip2(struct archive *archive);
int shardkit_archive_read_support_filter_xz(struct archive *archive);
int shardkit_archive_read_support_format_tar(struct archive *archive);
int shardkit_archive_read_support_format_zip(struct archive *archive);
int shardkit_archive_read_set_callback_data(struct archive *archive, void *data);
int shardkit_archive_read_set_read_callback(struct archive *archive, archive_read_callback *callback);
int shardkit_archive_read_set_seek_callback(struct archive *archive, archive_seek_callback *callback);
int shardkit_archive_read_open1(struct archive *archive);
int shardkit_archive_read_next_header(struct archive *archive, struct archive_entry **entry);
ptrdiff_t shardkit_archive_read_data(struct archive *archive, void *buffer, size_t size);
int shardkit_archive_errno(struct archive *archive);
const char *shardkit_archive_error_string(struct archive *archive);
const char *shardkit_archive_entry_pathname(struct archive_entry *entry);
const char *shardkit_archive_entry_pathname_utf8(struct archive_entry *entry);
int shardkit_archive_entry_size_is_set(struct archive_entry *entry);
int64_t shardkit_archive_entry_size(struct archive_entry *entry);
/// Whether an entry is a regular file (`archive_entry_filetype` is `AE_IFREG`: a cast in a
/// macro, which Swift cannot import).
int shardkit_archive_entry_is_file(struct archive_entry *entry);
