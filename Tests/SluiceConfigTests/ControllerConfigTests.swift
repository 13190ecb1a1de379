import Foundation
import SluiceConfig
import SluiceCore
import SluiceGit
import Testing

@Suite("controller config", .timeLimit(.minutes(10)))
struct ControllerConfigTests: ConfigParsing {
    /// The controller section of the file at `path`.
    func load(_ path: String) throws(ConfigError) -> ControllerConfig {
        try SluiceConfiguration.load(path: path).controller()
    }

    @Test("defaults point the controller at the data plane of the same file")
    func defaults() throws {
        let path = try write("serve:\n  admin:\n    listen: 127.0.0.1:9301\nruntimes: {}\ncontroller:\n  repository: repo\n")
        let config = try load(path)
        let base = (path as NSString).deletingLastPathComponent
        #expect(config.repository == "\(base)/repo")
        #expect(config.dataPlane == .tcp(host: "127.0.0.1", port: 9301))
        #expect(config.dataPlaneToken == .file("\(base)/.sluice/serve/admin-token"))
        #expect(config.interval == .seconds(30))
        #expect(config.listen == .tcp(host: "127.0.0.1", port: 8090))
        #expect(config.stateDirectory == "\(base)/.sluice/controller")
        #expect(config.allowEmpty == false)
    }

    @Test("the repository is parsed once: a path beside the config file is local even with '@' and ':'; URLs and user@host:path are remote")
    func repositoryLocations() throws {
        let yaml = "controller:\n  repository: models@v2:prod\n"
        let besidePath = try write(yaml)
        let base = (besidePath as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: "\(base)/models@v2:prod", withIntermediateDirectories: true)
        let beside = try load(besidePath)
        #expect(beside.repositoryLocation == .local(path: "\(base)/models@v2:prod"))
        #expect(beside.repository == "\(base)/models@v2:prod")
        // The same words with no such directory are an SSH remote, as git reads them.
        let elsewhere = try load(try write(yaml))
        #expect(elsewhere.repositoryLocation == .ssh(url: "models@v2:prod"))
        let remotes: [(String, RepositoryLocation)] = [
            ("git@github.com:org/models.git", .ssh(url: "git@github.com:org/models.git")),
            ("ssh://git@host:22/models.git", .ssh(url: "ssh://git@host:22/models.git")),
            ("https://example.com/models.git", .https(url: "https://example.com/models.git")),
            ("file:///srv/git/models.git", .file(url: "file:///srv/git/models.git")),
        ]
        for (text, expected) in remotes {
            let config = try load(try write("controller:\n  repository: \(text)\n"))
            #expect(config.repositoryLocation == expected)
            #expect(config.repository == text, "a URL is used as written, never resolved as a path")
            #expect(config.repositoryLocation.isRemote)
        }
    }

    @Test("a repository that names nothing is a problem at its position, told with the file's other problems")
    func badRepositories() throws {
        let cases: [(String, String)] = [
            (#""""#, "controller.repository: the repository is empty; expected a local path, an https:// or ssh:// URL, user@host:path, or a file:// URL"),
            ("https://", "controller.repository: 'https://' has no host after https://"),
            ("ftp://example.com/m.git", "controller.repository: 'ftp://example.com/m.git' uses the scheme ftp://, which is not supported; expected a local path, an https:// or ssh:// URL, user@host:path, or a file:// URL"),
            (#""git@github.com:""#, "controller.repository: 'git@github.com:' has no repository path after ':'; expected a local path, an https:// or ssh:// URL, user@host:path, or a file:// URL"),
        ]
        for (text, problem) in cases {
            let path = try write("controller:\n  repository: \(text)\n  allowEmpty: maybe\n")
            do {
                let config = try load(path)
                Issue.record("\(text) was accepted as \(config.repositoryLocation)")
            } catch {
                let lines = error.problems.map { $0.replacingOccurrences(of: path, with: "sluice.yaml") }
                #expect(lines == ["sluice.yaml:2:15: \(problem)", "sluice.yaml:3:15: controller.allowEmpty: expected true or false; found the string \"maybe\""])
            }
        }
    }

    @Test("every controller field is read, with paths resolved against the file and URLs kept as written")
    func full() throws {
        let path = try write("""
            controller:
              repository: https://example.com/models.git
              branch: release
              path: manifests/prod
              interval: 2m
              listen: 0.0.0.0:9090
              tokenFile: secrets/api-token
              webhookSecretEnv: HOOK_SECRET
              stateDirectory: /var/lib/sluice
              dataPlane: http://10.0.0.5:8081
              dataPlaneTokenEnv: DATA_PLANE_TOKEN
              allowEmpty: true
              gitTokenEnv: GIT_TOKEN
              monitors:
                webhookTokenFile: secrets/hook-token
            """)
        let base = (path as NSString).deletingLastPathComponent
        let config = try load(path)
        #expect(config.repository == "https://example.com/models.git")
        #expect(config.branch == "release")
        #expect(config.path == "manifests/prod")
        #expect(config.interval == .seconds(120))
        #expect(config.listen == .tcp(host: "0.0.0.0", port: 9090))
        #expect(config.token == .file("\(base)/secrets/api-token"))
        #expect(config.webhookSecret == .environment("HOOK_SECRET"))
        #expect(config.stateDirectory == "/var/lib/sluice")
        #expect(config.databasePath == "/var/lib/sluice/sluice.sqlite")
        #expect(config.dataPlane == .tcp(host: "10.0.0.5", port: 8081))
        #expect(config.dataPlaneToken == .environment("DATA_PLANE_TOKEN"))
        #expect(config.allowEmpty)
        #expect(config.gitTokenEnv == "GIT_TOKEN")
        #expect(config.monitorWebhookToken == .file("\(base)/secrets/hook-token"))
        #expect(config.monitorInterval == .seconds(10))
        #expect(config.alertWebhook == nil)
    }

    @Test("a unix-socket admin listener is the controller's data plane address, never a TCP fallback")
    func unixSocketAdmin() throws {
        let path = try write("serve:\n  admin:\n    listen: unix:run/admin.sock\nruntimes: {}\ncontroller:\n  repository: repo\n")
        let base = (path as NSString).deletingLastPathComponent
        #expect(try load(path).dataPlane == .unix(path: "\(base)/run/admin.sock"))
        let explicit = try write("serve:\n  admin:\n    listen: 127.0.0.1:9301\nruntimes: {}\ncontroller:\n  repository: repo\n  dataPlane: unix:/run/sluice/admin.sock\n")
        #expect(try load(explicit).dataPlane == .unix(path: "/run/sluice/admin.sock"))
    }

    @Test("controller.metricsTokenEnv / metricsTokenFile put /metrics behind a token; both at once is refused")
    func metricsToken() throws {
        let open = try load(try write("controller:\n  repository: repo\n"))
        #expect(open.metricsToken == nil)
        let fromEnv = try load(try write("controller:\n  repository: repo\n  metricsTokenEnv: SCRAPE\n"))
        #expect(fromEnv.metricsToken == .environment("SCRAPE"))
        let path = try write("controller:\n  repository: repo\n  metricsTokenFile: scrape-token\n")
        #expect(try load(path).metricsToken == .file("\((path as NSString).deletingLastPathComponent)/scrape-token"))
        #expect(throws: ConfigError.self) {
            try load(try write("controller:\n  repository: repo\n  metricsTokenEnv: A\n  metricsTokenFile: b\n"))
        }
    }

    @Test("controller.monitors: collection interval and webhooks, with errors at the field")
    func monitors() throws {
        let path = try write("""
            controller:
              repository: repo
              monitors:
                interval: 2s
                alertWebhook: http://127.0.0.1:9000/hooks/alerts?team=risk
                retrainWebhook: http://127.0.0.1:9001
                webhookTokenEnv: HOOK_TOKEN
            """)
        let config = try load(path)
        #expect(config.monitorInterval == .seconds(2))
        #expect(config.alertWebhook?.address == UpstreamAddress(host: "127.0.0.1", port: 9000))
        #expect(config.alertWebhook?.path == "/hooks/alerts?team=risk")
        #expect(config.retrainWebhook?.path == "/")
        #expect(config.monitorWebhookToken == .environment("HOOK_TOKEN"))
        let bad = try write("""
            controller:
              repository: repo
              monitors:
                interval: 500ms
                alertWebhook: https://alerts.example.com/x
                retrainWebhok: http://127.0.0.1:9001
            """)
        do {
            _ = try load(bad)
            Issue.record("accepted a bad monitors section")
        } catch {
            #expect(error.problems.map { $0.replacingOccurrences(of: bad, with: "sluice.yaml") } == [
                "sluice.yaml:4:15: controller.monitors.interval: expected at least 1s, found 500ms",
                "sluice.yaml:5:19: controller.monitors.alertWebhook: expected an http://HOST:PORT/PATH URL, found 'https://alerts.example.com/x'",
                "sluice.yaml:6:5: controller.monitors.retrainWebhok: unknown field 'retrainWebhok' in controller.monitors; did you mean 'retrainWebhook'?",
            ])
        }
    }

    @Test("problems name the position and field")
    func problems() throws {
        let path = try write("""
            controller:
              repository: https://example.com/models.git
              intervall: 5s
              dataPlane: localhost
              allowEmpty: maybe
            """)
        do {
            _ = try load(path)
            Issue.record("accepted a bad config")
        } catch {
            let lines = error.problems.map { $0.replacingOccurrences(of: path, with: "sluice.yaml") }
            #expect(lines == [
                "sluice.yaml:3:3: controller.intervall: unknown field 'intervall' in controller; did you mean 'interval'?",
                "sluice.yaml:4:14: controller.dataPlane: expected the data plane's admin address, http://HOST:PORT or unix:PATH, found 'localhost'",
                "sluice.yaml:5:15: controller.allowEmpty: expected true or false; found the string \"maybe\"",
            ])
        }
        let missing = try write("controller:\n  path: manifests\n")
        #expect(throws: ConfigError.self) { try load(missing) }
        let none = try write("serve: {}\n")
        #expect(try SluiceConfiguration.load(path: none).controllerSection == nil)
        do {
            _ = try load(none)
            Issue.record("a file without a controller section gave a controller config")
        } catch {
            #expect(error.problems == ["\(none): no `controller:` section (it needs at least `repository:`)"])
        }
    }

    @Test("controller.git.author: who revert commits are by; Sluice <sluice@HOSTNAME> by default, never git's own identity")
    func gitAuthor() throws {
        let defaults = try load(try write("controller:\n  repository: repo\n"))
        #expect(defaults.gitAuthor == GitIdentity(name: "Sluice", email: "sluice@\(GitIdentity.hostName())"))
        #expect(!GitIdentity.hostName().isEmpty)
        let configured = try load(try write("""
            controller:
              repository: repo
              git:
                author:
                  name: Release Bot
                  email: release-bot@example.com
            """))
        #expect(configured.gitAuthor == GitIdentity(name: "Release Bot", email: "release-bot@example.com"))
    }

    @Test("a bad controller.git.author is a problem at the field, naming it and what is expected")
    func badGitAuthor() throws {
        let bad = try write("""
            controller:
              repository: repo
              git:
                author:
                  name: "Eve <eve@example.com>"
                  email: "ops@example.com\\nX-Injected: 1"
            """)
        do {
            _ = try load(bad)
            Issue.record("accepted a bad author")
        } catch {
            #expect(error.problems.map { $0.replacingOccurrences(of: bad, with: "sluice.yaml") } == [
                "sluice.yaml:5:13: controller.git.author.name: expected a name without '<' or '>', found 'Eve <eve@example.com>'",
                "sluice.yaml:6:14: controller.git.author.email: expected an email address on one line, found a line break",
            ])
        }
        let empty = try write("controller:\n  repository: repo\n  git:\n    author:\n      name: \"  \"\n      email: a b@example.com\n")
        do {
            _ = try load(empty)
            Issue.record("accepted an empty name")
        } catch {
            #expect(error.problems.map { $0.replacingOccurrences(of: empty, with: "sluice.yaml") } == [
                "sluice.yaml:5:13: controller.git.author.name: expected a name, found an empty value",
                "sluice.yaml:6:14: controller.git.author.email: expected an email address without spaces, found 'a b@example.com'",
            ])
        }
        let incomplete = try write("controller:\n  repository: repo\n  git:\n    author:\n      name: Bot\n    commiter: x\n")
        do {
            _ = try load(incomplete)
            Issue.record("accepted an author without an email")
        } catch {
            #expect(error.problems.map { $0.replacingOccurrences(of: incomplete, with: "sluice.yaml") } == [
                "sluice.yaml:4:5: controller.git.author.email: missing required field 'email' in controller.git.author",
                "sluice.yaml:6:5: controller.git.commiter: unknown field 'commiter' in controller.git; expected one of author, signing",
            ])
        }
    }
}

/// `controller.windows`: the operator's change windows, validated as a manifest's are.
@Suite(.timeLimit(.minutes(10))) struct ControllerWindowConfigTests: ConfigParsing {
    @Test("windows are read with their defaults; bad ones name the field, the cron column and what is expected")
    func windows() throws {
        let config = try configuration("""
            controller:
              repository: /srv/models
              windows:
                - {kind: deny, schedule: "0 22 * * FRI", duration: 60h, timeZone: Europe/Berlin}
                - {kind: allow, schedule: "@daily", duration: 8h}
            """)
        let windows = try config.controller().windows
        #expect(windows.map(\.kind) == [.deny, .allow])
        #expect(windows.map(\.timeZone) == ["Europe/Berlin", "UTC"])
        #expect(windows.first?.duration == .seconds(216_000))
        #expect(problems("""
            controller:
              repository: /srv/models
              windows:
                - {kind: deny, schedule: "0 0 32 * *", duration: 1h}
                - {kind: allow, schedule: "0 9 * * MON-FRI", duration: 8h, timeZone: Mars/Olympus}
                - {kind: never, schedule: "0 9 * * *"}
            """) == [
                "sluice.yaml:4:30: controller.windows[0].schedule: column 3: expected a day of month 1–31, got 32",
                "sluice.yaml:5:74: controller.windows[1].timeZone: 'Mars/Olympus' is not an IANA time zone name such as UTC, Europe/Berlin or America/New_York",
                "sluice.yaml:6:7: controller.windows[2].duration: missing required field 'duration' in controller.windows[2]",
                "sluice.yaml:6:14: controller.windows[2].kind: 'never' is not one of allow, deny",
            ])
    }
}
