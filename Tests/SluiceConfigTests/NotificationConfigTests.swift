import Foundation
import SluiceConfig
import SluiceCore
import Testing

@Suite("notification config", .timeLimit(.minutes(10)))
struct NotificationConfigTests: ConfigParsing {
    func load(_ path: String) throws(ConfigError) -> ControllerConfig {
        try SluiceConfiguration.load(path: path).controller()
    }

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
        do {
            _ = try load(path)
            Issue.record("accepted bad notification targets")
        } catch {
            let problems = error.problems.joined(separator: "\n")
            #expect(problems.contains("controller.notifications[0]: a slack target needs its webhook URL in urlFile or urlEnv (the URL is a secret)"))
            #expect(problems.contains("controller.notifications[1].repository: expected OWNER/REPO, found 'acme'"))
            #expect(problems.contains("teams"))
            #expect(problems.contains("deployed"))
        }
    }
}
