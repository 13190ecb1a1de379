import CFuzzDriver
import Foundation

exit(sluice_fuzz_main(CommandLine.argc, CommandLine.unsafeArgv) { fuzzManifest($0, $1) })
