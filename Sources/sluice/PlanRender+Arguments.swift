import ArgumentParser
import SluiceKubernetes

/// `--backend` of `sluice plan --render`.
enum PlanBackend: String, ExpressibleByArgument, CaseIterable {
    case kubernetes
}

/// `--driver` of `sluice plan --render`: `gateway-api` or `kserve`.
extension KubernetesDriver: ExpressibleByArgument {}
