// The system zlib (zlib1g-dev on Debian, the SDK on macOS): inflate for .tar.gz and .zip artifacts.
#include <zlib.h>
