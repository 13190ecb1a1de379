import CFuzzDriver
import Foundation

exit(sluice_fuzz_main(CommandLine.argc, CommandLine.unsafeArgv) { fuzzBaseline($0, $1) })
