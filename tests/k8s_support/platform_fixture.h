// The fixture platform of the Kubernetes tests, after the runbooks: an
// Astronomer control plane (namespace astronomer) with one deployment's
// namespace (astronomer-weightless-meteor-5042), and an Astarte namespace
// with its CRDs, custom resources and the astarte-devices-ca secret, plus
// cluster-scoped objects (a StorageClass, PVs).
#pragma once

#include <string>
#include <vector>

#include "k8s_support/fake_apiserver.h"

namespace cairn::testing {

// The Velero-layout path of every object seed_platform() creates, sorted
// ("resources/deployments.apps/namespaces/astronomer/houston.json", ...).
// The server's own namespaces (default, kube-system) are not in it.
std::vector<std::string> platform_item_paths();

// Creates the platform in `server` (which must be fresh).
void seed_platform(FakeApiServer& server);

}  // namespace cairn::testing
