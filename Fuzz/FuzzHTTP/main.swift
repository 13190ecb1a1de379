import CFuzzDriver
import Foundation

exit(sluice_fuzz_main(CommandLine.argc, CommandLine.unsafeArgv) { fuzzHTTP($0, $1) })
