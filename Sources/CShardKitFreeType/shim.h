#pragma once
#include <ft2build.h>
#include FT_FREETYPE_H

/* FreeType's own message for an error code. Debian builds FreeType without
   FT_CONFIG_OPTION_ERROR_STRINGS, so FT_Error_String returns NULL there; fterrors.h is made to
   be included again with FT_ERRORDEF redefined, which expands its list into this table. */
static inline const char *shardkit_freetype_error_message(FT_Error code) {
#undef FTERRORS_H_
#undef __FTERRORS_H__
#define FT_ERRORDEF(e, v, s) {e, s},
#define FT_ERROR_START_LIST {
#define FT_ERROR_END_LIST {0, 0}};
    static const struct {
        int code;
        const char *message;
    } table[] =
#include FT_ERRORS_H
    for (int i = 0; table[i].message != 0; i++) {
        if (table[i].code == code) return table[i].message;
    }
    return 0;
}
