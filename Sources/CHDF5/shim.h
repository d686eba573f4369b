#pragma once
#include <hdf5.h>
// HDF5's type and property-list identifiers are macros that expand to function calls or
// globals Swift cannot import; the Formats module reads them through static inline getters here.
