import Foundation
import SluiceCore

/// HTML building blocks of the dashboard: escaping and the page frame. Every string that
/// reaches a page goes through ``escape(_:)``: model names, messages and revisions come
/// from git and are hostile.
enum DashboardHTML {
    /// `text` safe in element content and in quoted attribute values.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }

    /// `name` as one URL path segment (everything but unreserved characters percent-encoded).
    static func pathSegment(_ name: String) -> String {
        name.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? ""
    }

    /// A UTC time, `2026-12-04 23:26:26`.
    static func time(_ seconds: Double) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: Date(timeIntervalSince1970: seconds))
    }

    /// A short number: `0.0512`, `12`, `1.2e+06`.
    static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e9 { return String(Int(value)) }
        return String(format: "%.4g", value)
    }

    /// The whole document: `title` (escaped here), `body` (already HTML). A live page
    /// (`refresh`, seconds) loads ``DashboardScript``, which updates its `data-live` parts in
    /// place; with JavaScript off it reloads itself every `refresh` seconds instead.
    static func page(title: String, body: String, refresh: Int? = nil, logout csrf: String? = nil) -> String {
        let refreshTag = refresh.map {
            "<noscript><meta http-equiv=\"refresh\" content=\"\($0)\"></noscript><script src=\"\(DashboardScript.path)\" defer></script>"
        } ?? ""
        let status = refresh == nil ? "" : "<span id=\"live-status\" class=\"muted\" aria-live=\"polite\"></span>"
        let logout = csrf.map {
            "<form method=\"post\" action=\"/ui/logout\" class=\"inline\"><input type=\"hidden\" name=\"csrf\" value=\"\(escape($0))\"><button>Log out</button></form>"
        } ?? ""
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            \(refreshTag)<title>\(escape(title)) · sluice</title>
            <style>\(style)</style></head>
            <body><header><a href="/ui/" class="brand">sluice</a> \(status) \(logout)</header>
            <main>\(body)</main></body></html>
            """
    }

    /// The whole stylesheet, inline: no external file, font or CDN. Light and dark follow
    /// the system setting; tables scroll sideways on a phone.
    static let style = """
        :root{color-scheme:light dark;--bg:#fff;--fg:#1b1f24;--muted:#59636e;--line:#d0d7de;--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;--stable:#0969da;--cand:#8250df}
        @media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--line:#30363d;--ok:#3fb950;--bad:#f85149;--warn:#d29922;--stable:#4493f8;--cand:#ab7df8}}
        body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif}
        header{display:flex;justify-content:space-between;align-items:center;padding:.6rem 1rem;border-bottom:1px solid var(--line)}
        main{padding:1rem;max-width:72rem;margin:auto}a{color:var(--stable)}.brand{font-weight:700;text-decoration:none}
        .scroll{overflow-x:auto}table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
        th{color:var(--muted);font-weight:600}.muted{color:var(--muted)}code{font-size:.9em}
        .bar{display:flex;min-width:8rem;height:1.1rem;border-radius:3px;overflow:hidden;border:1px solid var(--line)}
        .bar span{display:block;height:100%;font-size:.75rem;color:#fff;text-align:center;overflow:hidden;white-space:nowrap}
        .s0{background:var(--stable)}.s1{background:var(--cand)}.s2{background:var(--warn)}.s3{background:var(--muted)}
        .Healthy,.Successful{color:var(--ok)}.Degraded,.Failed,.Error{color:var(--bad)}.Progressing,.Inconclusive,.Paused{color:var(--warn)}
        svg{max-width:100%;height:auto}svg text{fill:var(--fg);font-size:11px}.axis{stroke:var(--line)}.threshold{stroke:var(--bad);stroke-dasharray:4 3}
        .current{font-weight:700}.actions form{display:inline-block;margin:.2rem}button{font:inherit;padding:.3rem .7rem}
        .timeline{list-style:none;padding-left:0;border-left:2px solid var(--line)}.timeline li{padding:.15rem .6rem}.timeline time{color:var(--muted)}
        .steps .current::marker{content:"▶ "}.inline{display:inline}.error{color:var(--bad)}input[type=password]{font:inherit;padding:.3rem;width:min(24rem,100%)}
        """

    /// Weights as a horizontal bar, one coloured part per version.
    static func bar(_ weights: [(name: String, weight: Int)]) -> String {
        let parts = weights.enumerated().filter { $0.element.weight > 0 }.map { index, part in
            "<span class=\"s\(min(index, 3))\" style=\"width:\(part.weight)%\" title=\"\(escape(part.name)) \(part.weight)%\">\(escape(part.name)) \(part.weight)%</span>"
        }
        return "<div class=\"bar\" role=\"img\" aria-label=\"\(escape(weights.map { "\($0.name) \($0.weight)%" }.joined(separator: ", ")))\">\(parts.joined())</div>"
    }
}
