import CFuzzDriver
import Foundation

exit(sluice_fuzz_main(CommandLine.argc, CommandLine.unsafeArgv) { fuzzInference($0, $1) })
