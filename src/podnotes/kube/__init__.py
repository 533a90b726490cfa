"""Kubernetes semantics, each fact in one place.

Lint, explain, the probe simulator, the offline cluster and the Linux chapters
read these modules instead of keeping their own copies:

- :mod:`podnotes.kube.quantity`: resource quantities (``500m``, ``1Gi``, ``1e9``);
- :mod:`podnotes.kube.enums`: probe kinds and handlers, lifecycle handlers, Pod
  phases and conditions, restart and pull policies, QoS classes, Pod Security levels;
- :mod:`podnotes.kube.defaults`: what the API server fills in (``SetDefaults_*``);
- :mod:`podnotes.kube.qos`: the QoS class (``ComputePodQOS``);
- :mod:`podnotes.kube.containers`: walking the containers of a Pod spec;
- :mod:`podnotes.kube.workloads`: rules of the workload kinds around the Pod template.
"""
