#pragma once
#include <hdf5.h>
#include <hdf5_hl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
// HDF5's type and property-list identifiers are macros that expand to function calls or
// globals Swift cannot import; the Formats module reads them through static inline getters here.

static inline hid_t shardkit_h5p_default(void) { return H5P_DEFAULT; }
static inline hid_t shardkit_h5s_all(void) { return H5S_ALL; }
static inline unsigned shardkit_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline hid_t shardkit_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t shardkit_h5t_native_ushort(void) { return H5T_NATIVE_USHORT; }
static inline hid_t shardkit_h5t_std_ref_obj(void) { return H5T_STD_REF_OBJ; }

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

/// In a child process that parses an untrusted file: be killed when the parent dies (prctl's
/// PR_SET_PDEATHSIG, which Swift cannot call: prctl is variadic), and leave at once if the parent
/// is already gone.
static inline void shardkit_die_with_parent(void) {
    pid_t parent = getppid();
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
}
