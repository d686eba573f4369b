#pragma once
#include <hdf5.h>
#include <hdf5_hl.h>
#include <stdio.h>
#include <string.h>
// HDF5's type and property-list identifiers are macros that expand to function calls or
// globals Swift cannot import; the Formats module reads them through static inline getters here.

static inline hid_t shardkit_h5p_default(void) { return H5P_DEFAULT; }
static inline hid_t shardkit_h5s_all(void) { return H5S_ALL; }
static inline unsigned shardkit_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline hid_t shardkit_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t shardkit_h5t_native_ushort(void) { return H5T_NATIVE_USHORT; }
static inline hid_t shardkit_h5t_std_ref_obj(void) { return H5T_STD_REF_OBJ; }

/// A file-access property list whose files evict an object's metadata from libhdf5's cache when
/// the object is closed (H5Pset_evict_on_close). digitStruct.mat holds hundreds of thousands of
/// small objects, each opened once: without this, libhdf5 1.10's metadata cache kept about 15 KB
/// per digitStruct entry (520 MB for SVHN's train split). Falls back to H5P_DEFAULT on failure.
static inline hid_t shardkit_h5p_evicting_file_access(void) {
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0) return H5P_DEFAULT;
    if (H5Pset_evict_on_close(fapl, 1) < 0) {
        H5Pclose(fapl);
        return H5P_DEFAULT;
    }
    return fapl;
}

/// A dataset-transfer property list with a `bytes`-byte type-conversion buffer (H5Pset_buffer).
/// The default buffer is 1 MiB, and reading object references allocates and clears one per
/// H5Dread: on digitStruct's one- to six-element reads that clearing was the parser's largest
/// cost. Falls back to H5P_DEFAULT on failure.
static inline hid_t shardkit_h5p_small_transfer(size_t bytes) {
    hid_t dxpl = H5Pcreate(H5P_DATASET_XFER);
    if (dxpl < 0) return H5P_DEFAULT;
    if (H5Pset_buffer(dxpl, bytes, NULL, NULL) < 0) {
        H5Pclose(dxpl);
        return H5P_DEFAULT;
    }
    return dxpl;
}

/// Caps libhdf5's metadata cache of an open file at `bytes` (H5Fset_mdc_config, no automatic
/// growth), for files opened where an evicting access list cannot be given (a file image).
static inline herr_t shardkit_h5f_cap_metadata_cache(hid_t file, size_t bytes) {
    H5AC_cache_config_t config;
    config.version = H5AC__CURR_CACHE_CONFIG_VERSION;
    if (H5Fget_mdc_config(file, &config) < 0) return -1;
    config.set_initial_size = 1;
    config.initial_size = bytes;
    config.min_size = bytes < ((size_t)1 << 20) ? bytes : ((size_t)1 << 20);
    config.max_size = bytes;
    config.incr_mode = H5C_incr__off;
    config.flash_incr_mode = H5C_flash_incr__off;
    config.decr_mode = H5C_decr__off;
    return H5Fset_mdc_config(file, &config);
}

/// Turns off HDF5's automatic printing of error stacks to stderr (H5Eset_auto2 with NULL).
static inline void shardkit_h5e_silence(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

struct shardkit_h5e_buffer {
    char *text;
    size_t size;
};

static inline herr_t shardkit_h5e_collect(unsigned n, const H5E_error2_t *err, void *data) {
    struct shardkit_h5e_buffer *buffer = (struct shardkit_h5e_buffer *)data;
    if (err == NULL || err->desc == NULL) return 0;
    size_t used = strlen(buffer->text);
    if (used + 4 >= buffer->size) return 0;
    snprintf(buffer->text + used, buffer->size - used, "%s%s", used > 0 ? "; " : "", err->desc);
    return n >= 1 ? 1 : 0;  // the two most specific entries are enough
}

/// Writes the most specific messages of the default error stack into `text` (H5Ewalk2,
/// innermost first), then clears the stack (H5Eclear2).
static inline void shardkit_h5e_message(char *text, size_t size) {
    if (size == 0) return;
    text[0] = 0;
    struct shardkit_h5e_buffer buffer = {text, size};
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, shardkit_h5e_collect, &buffer);
    H5Eclear2(H5E_DEFAULT);
}

/// Flags for H5LTopen_file_image: read-only, and the library uses the caller's buffer as it is
/// (no copy) and frees it with free() when the file is closed.
static inline unsigned shardkit_h5lt_image_dont_copy(void) { return H5LT_FILE_IMAGE_DONT_COPY; }

