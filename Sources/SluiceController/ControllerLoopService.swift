import ServiceLifecycle

/// The controller's reconcile loop as a service: passes on every interval and trigger until
/// the group shuts down; a pass under way when it does is cancelled, as before.
struct ControllerLoopService: Service, CustomStringConvertible {
    let controller: Controller

    var description: String { "controller loop" }

    func run() async {
        await cancelWhenGracefulShutdown { [controller] in await controller.run() }
    }
}
