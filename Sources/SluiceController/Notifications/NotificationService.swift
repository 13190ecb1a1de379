import ServiceLifecycle

/// The notification outbox's delivery loop as a service; closes its connections at shutdown.
struct NotificationService: Service, CustomStringConvertible {
    let deliverer: NotificationDeliverer

    var description: String { "notifications" }

    func run() async {
        await cancelWhenGracefulShutdown { [deliverer] in await deliverer.run() }
        await deliverer.shutdown()
    }
}
