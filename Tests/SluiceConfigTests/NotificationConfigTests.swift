import Foundation
import SluiceConfig
import SluiceCore
import Testing

@Suite("notification config", .timeLimit(.minutes(10)))
struct NotificationConfigTests: ConfigParsing {
    func load(_ path: String) throws(ConfigError) -> ControllerConfig { try loadController(path) }

    @Test("controller.notifications: each target with its secrets' sources, its events and the git host's defaults")
    func targets() throws {
        let path = try write("""
            controller:
              repository: repo
              notifications:
                - name: chat
                  type: slack
                  urlFile: secrets/slack-url
                  events: [promoted, aborted]
                - name: statuses
                  type: github
                  repository: acme/models
                  tokenEnv: GITHUB_TOKEN
                  caFile: ca.pem
                  dashboardURL: https://sluice.example/ui
            """)
        let config = try load(path)
        let base = (path as NSString).deletingLastPathComponent
        #expect(config.notifications.map(\.name) == ["chat", "statuses"])
        let chat = try #require(config.notifications.first)
        #expect(chat.kind == .slack)
        #expect(chat.url == .file("\(base)/secrets/slack-url"))
        #expect(chat.events == [.promoted, .aborted])
        let statuses = try #require(config.notifications.last)
        #expect(statuses.token == .environment("GITHUB_TOKEN"))
        #expect(statuses.repository == "acme/models")
        #expect(statuses.caFile == "\(base)/ca.pem")
        #expect(statuses.api == nil && statuses.defaultAPI == "https://api.github.com")
        #expect(statuses.events == Set(NotificationEvent.allCases))
    }

    @Test("a target without its URL or token, a bad repository, an unknown type or event is a problem naming the field")
    func problems() throws {
        let path = try write("""
            controller:
              repository: repo
              notifications:
                - name: chat
                  type: slack
                - name: statuses
                  type: github
                  repository: acme
                  tokenEnv: T
                - name: other
                  type: teams
                  urlEnv: U
                - name: hook
                  type: generic
                  urlEnv: U
                  events: [promoted, deployed]
            """)
        let problems = reportedProblems(path)
        #expect(problems.contains("controller.notifications[0]: a slack target needs its webhook URL in urlFile or urlEnv (the URL is a secret)"))
        #expect(problems.contains("controller.notifications[1].repository: expected OWNER/REPO, found 'acme'"))
        #expect(problems.contains("teams"))
        #expect(problems.contains("deployed"))
    }

    @Test("delivery: the documented defaults, values over them, and pullRequestComment on a github target")
    func deliveryPolicy() throws {
        let path = try write("""
            controller:
              repository: repo
              notifications:
                - name: chat
                  type: slack
                  urlEnv: U
                - name: statuses
                  type: github
                  repository: acme/models
                  tokenEnv: T
                  pullRequestComment: true
                  events: [promoted, reconcileError]
                  delivery:
                    ratePerMinute: 20
                    retryInitial: 5s
                    retryMax: 1h
                    giveUpAfter: 48h
            """)
        let config = try load(path)
        let chat = try #require(config.notifications.first)
        #expect(chat.delivery == .defaults)
        #expect(chat.delivery.ratePerMinute == 60 && chat.delivery.retryInitial == .seconds(2))
        #expect(chat.delivery.retryMax == .seconds(600) && chat.delivery.giveUpAfter == .seconds(86_400))
        #expect(!chat.pullRequestComment)
        let statuses = try #require(config.notifications.last)
        #expect(statuses.pullRequestComment)
        #expect(statuses.events == [.promoted, .reconcileError])
        #expect(statuses.delivery == .init(ratePerMinute: 20, retryInitial: .seconds(5), retryMax: .seconds(3600), giveUpAfter: .seconds(48 * 3600)))
        // The backoff doubles from retryInitial up to retryMax.
        #expect((1...12).map { statuses.delivery.retryDelay(afterAttempts: $0) } == [5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600])
    }

    @Test("bad delivery values and a pull-request comment on a non-github target are problems naming the field")
    func deliveryProblems() throws {
        let path = try write("""
            controller:
              repository: repo
              notifications:
                - name: chat
                  type: slack
                  urlEnv: U
                  pullRequestComment: true
                  delivery:
                    ratePerMinute: 0
                    retryInitial: 10m
                    retryMax: 1m
                    giveUpAfter: 10s
                - name: hook
                  type: generic
                  urlEnv: U
                  delivery:
                    retryInitial: soon
                    burst: 3
            """)
        let problems = reportedProblems(path)
        #expect(problems.contains("controller.notifications[0].pullRequestComment: only a github target can comment on pull requests, this one is slack"))
        #expect(problems.contains("controller.notifications[0].delivery.ratePerMinute"))
        #expect(problems.contains("controller.notifications[0].delivery.retryMax: expected at least retryInitial (10m), found 1m"))
        #expect(problems.contains("controller.notifications[0].delivery.giveUpAfter: expected at least 1m, found 10s"))
        #expect(problems.contains("controller.notifications[1].delivery.retryInitial"))
        #expect(problems.contains("controller.notifications[1].delivery.burst"))
    }
}
