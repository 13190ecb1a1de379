import ServiceLifecycle
import SluiceKubernetes

/// Runs the kubernetes backend's watches and the leader election until the group shuts
/// down. Listed first among the controller's services, so it stops last: the loop's final
/// pass still reads the caches, and the lease is released only after it, so a peer takes
/// over at once instead of after the lease expires.
struct KubernetesBackendService: Service, CustomStringConvertible {
    let backend: KubernetesBackend
    let elector: LeaderElector?
    let client: KubernetesClient

    var description: String { "kubernetes backend" }

    func run() async {
        await cancelWhenGracefulShutdown { [backend, elector] in
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await backend.run() }
                if let elector { group.addTask { await elector.run() } }
            }
        }
        await elector?.release()
        await client.shutdown()
    }
}

extension LeaderElector: LeadershipGate {}
