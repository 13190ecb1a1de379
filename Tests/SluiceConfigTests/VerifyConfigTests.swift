import Foundation
import SluiceConfig
import SluiceGit
import Testing

/// `controller.verify` and `controller.git.signing`: key files are checked when the config
/// is read, and a bad one is a problem at its field.
@Suite struct VerifyConfigTests: ConfigParsing {
    @Test("controller.verify and controller.git.signing are read, paths resolved against the config file")
    func readsTheSections() throws {
        let path = try write("")
        let directory = (path as NSString).deletingLastPathComponent
        for file in ["keyring.asc", "allowed_signers", "sluice-key"] {
            try "key\n".write(toFile: "\(directory)/\(file)", atomically: true, encoding: .utf8)
        }
        try """
            controller:
              repository: .
              verify:
                mode: head
                gpg: {keyring: keyring.asc}
                ssh: {allowedSigners: allowed_signers}
              git:
                signing: {format: ssh, keyFile: sluice-key}
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let config = try SluiceConfiguration.load(path: path).controller()
        #expect(config.verify == VerifyConfig(mode: .head, gpgKeyring: "\(directory)/keyring.asc", sshAllowedSigners: "\(directory)/allowed_signers"))
        #expect(config.gitSigning == SigningConfig(format: .ssh, keyFile: "\(directory)/sluice-key"))
        try "controller:\n  repository: .\n  verify:\n    ssh: {allowedSigners: allowed_signers}\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(try SluiceConfiguration.load(path: path).controller().verify?.mode == .all)
        #expect(try SluiceConfiguration.load(path: path).controller().gitSigning == nil)
    }

    @Test("a missing keyring, unreadable allowed signers, no keys at all or a bad mode are problems naming the field")
    func badSections() throws {
        let path = try write("")
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: "\(directory)/signers.d", withIntermediateDirectories: true)
        func problems(_ verify: String) throws -> [String] {
            try "controller:\n  repository: .\n  verify:\n\(verify)".write(toFile: path, atomically: true, encoding: .utf8)
            do {
                _ = try SluiceConfiguration.load(path: path).controller()
                return []
            } catch {
                return error.problems
            }
        }
        #expect(try problems("    gpg: {keyring: missing.asc}\n") == [
            "\(path):4:20: controller.verify.gpg.keyring: expected OpenPGP public keys (gpg --export), but 'missing.asc' does not exist (relative paths start at the config file's directory)",
        ])
        #expect(try problems("    ssh:\n      allowedSigners: signers.d\n") == [
            "\(path):5:23: controller.verify.ssh.allowedSigners: expected an allowed-signers file (git's format), but 'signers.d' is a directory",
        ])
        #expect(try problems("    mode: head\n") == [
            "\(path):4:5: controller.verify: expected `gpg: {keyring: PATH}` or `ssh: {allowedSigners: PATH}` (or both): the keys commits must be signed with",
        ])
        let mode = try problems("    mode: squash\n    ssh: {allowedSigners: signers.d}\n")
        #expect(mode.contains { $0.contains("controller.verify.mode") && $0.contains("squash") }, "\(mode)")
        let signing = try problems("    ssh: {allowedSigners: x}\n  git:\n    signing: {format: ssh, keyFile: nope}\n")
        #expect(signing.contains { $0.contains("controller.git.signing.keyFile: expected a private key file (mode 0600), but 'nope' does not exist") }, "\(signing)")
    }
}
