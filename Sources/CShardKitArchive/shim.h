#pragma once
#include <archive.h>
#include <archive_entry.h>
// libarchive's file-type constants are casts in macros, which Swift cannot import; the Formats
// module reads them through these getters.

/// Whether an entry is a regular file (`archive_entry_filetype` is `AE_IFREG`).
static inline int shardkit_archive_entry_is_file(struct archive_entry *entry) {
    return archive_entry_filetype(entry) == AE_IFREG;
}
