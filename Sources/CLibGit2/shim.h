#ifndef SLUICE_CLIBGIT2_SHIM_H
#define SLUICE_CLIBGIT2_SHIM_H

// The system libgit2 (Debian: libgit2-dev), found through pkg-config.
// SluiceGit is the only target that imports this module.
#include <git2.h>

#endif
