import Foundation
import SluiceCore

/// An inline SVG chart of values over time: one point per reading, coloured by its verdict,
/// and a dashed threshold line. No script, no external file.
struct DashboardChart {
    struct Point {
        var at: Double
        var value: Double
        /// The CSS class that colours the point (a verdict's raw value, e.g. `Failed`).
        var tone: String
        var label: String
    }

    var title: String
    var points: [Point]
    var threshold: Double?

    static let width = 560.0
    static let height = 160.0
    static let margin = 36.0

    /// The `<svg>`; an empty series is a short note instead.
    func svg() -> String {
        guard let first = points.first, let last = points.last else {
            return "<p class=\"muted\">\(DashboardHTML.escape(title)): no readings yet</p>"
        }
        let values = points.map(\.value) + (threshold.map { [$0] } ?? [])
        var low = values.min() ?? 0, high = values.max() ?? 1
        if high == low { high += 1; low -= low == 0 ? 0 : 1 }
        let span = max(last.at - first.at, 1)
        let plotWidth = Self.width - 2 * Self.margin, plotHeight = Self.height - 2 * Self.margin
        func x(_ at: Double) -> Double { Self.margin + (points.count == 1 ? plotWidth / 2 : (at - first.at) / span * plotWidth) }
        func y(_ value: Double) -> Double { Self.margin + (1 - (value - low) / (high - low)) * plotHeight }
        let line = points.map { "\(Self.f(x($0.at))),\(Self.f(y($0.value)))" }.joined(separator: " ")
        let dots = points.map { point in
            "<circle cx=\"\(Self.f(x(point.at)))\" cy=\"\(Self.f(y(point.value)))\" r=\"4\" class=\"\(DashboardHTML.escape(point.tone))\" fill=\"currentColor\"><title>\(DashboardHTML.escape(point.label))</title></circle>"
        }.joined()
        let thresholdLine = threshold.map { value in
            "<line class=\"threshold\" x1=\"\(Self.margin)\" x2=\"\(Self.width - Self.margin)\" y1=\"\(Self.f(y(value)))\" y2=\"\(Self.f(y(value)))\"/>"
                + "<text x=\"\(Self.width - Self.margin)\" y=\"\(Self.f(y(value) - 4))\" text-anchor=\"end\">threshold \(DashboardHTML.number(value))</text>"
        } ?? ""
        return """
            <figure><figcaption>\(DashboardHTML.escape(title))</figcaption>
            <svg viewBox="0 0 \(Int(Self.width)) \(Int(Self.height))" width="\(Int(Self.width))" height="\(Int(Self.height))" role="img" aria-label="\(DashboardHTML.escape(title))">
            <line class="axis" x1="\(Self.margin)" y1="\(Self.height - Self.margin)" x2="\(Self.width - Self.margin)" y2="\(Self.height - Self.margin)"/>
            <text x="2" y="\(Self.f(y(high) + 4))">\(DashboardHTML.number(high))</text><text x="2" y="\(Self.f(y(low) + 4))">\(DashboardHTML.number(low))</text>
            <text x="\(Self.margin)" y="\(Self.height - 8)">\(DashboardHTML.time(first.at))</text>
            <text x="\(Self.width - Self.margin)" y="\(Self.height - 8)" text-anchor="end">\(DashboardHTML.time(last.at))</text>
            \(thresholdLine)<polyline points="\(line)" fill="none" stroke="currentColor" class="muted"/>\(dots)</svg></figure>
            """
    }

    private static func f(_ value: Double) -> String { String(format: "%.1f", value) }

    /// The number in a threshold as the store keeps it (`< 0.05`, `<= 1.2x stable`): the
    /// first decimal number, or nil when there is none.
    static func thresholdValue(_ text: String) -> Double? {
        let scanner = Scanner(string: text)
        scanner.charactersToBeSkipped = CharacterSet(charactersIn: "0123456789.-").inverted
        return scanner.scanDouble()
    }
}
