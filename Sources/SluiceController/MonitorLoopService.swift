import ServiceLifecycle

/// The monitors as a service: collects the data plane's buckets and judges the windows that
/// closed, every `monitors.interval`, until the group shuts down.
struct MonitorLoopService: Service, CustomStringConvertible {
    let controller: Controller

    var description: String { "monitor loop" }

    func run() async {
        await cancelWhenGracefulShutdown { [controller] in await controller.runMonitors() }
    }
}
