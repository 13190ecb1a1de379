import CFuzzDriver
import Foundation

exit(sluice_fuzz_main(CommandLine.argc, CommandLine.unsafeArgv) { fuzzFeedback($0, $1) })
