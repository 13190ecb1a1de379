#ifndef CFUZZDRIVER_H
#define CFUZZDRIVER_H
#include <stddef.h>
#include <stdint.h>

/// Runs libFuzzer (its command line in argc/argv) over `test_one_input`. SwiftPM links an
/// executable's main.swift as its entry point on Linux, so the fuzz targets call the driver
/// from there rather than using libFuzzer's own main().
int sluice_fuzz_main(int argc, char **argv, int (*test_one_input)(const uint8_t *data, size_t size));

#endif
