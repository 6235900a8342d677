// kind's cluster configuration (kind.x-k8s.io/v1alpha4), written by hand:
// kind ships no TypeScript types. Only the fields kind documents; anything
// else is an excess property and fails the check.
export interface Cluster {
  kind: "Cluster";
  apiVersion: "kind.x-k8s.io/v1alpha4";
  name?: string;
  nodes?: Node[];
  networking?: Networking;
  featureGates?: { [gate: string]: boolean };
  runtimeConfig?: { [key: string]: string };
  kubeadmConfigPatches?: string[];
  kubeadmConfigPatchesJSON6902?: object[];
  containerdConfigPatches?: string[];
}

export interface Node {
  role: "control-plane" | "worker";
  image?: string;
  labels?: { [name: string]: string };
  extraMounts?: Mount[];
  extraPortMappings?: PortMapping[];
  kubeadmConfigPatches?: string[];
}

export interface Mount {
  hostPath: string;
  containerPath: string;
  readOnly?: boolean;
  selinuxRelabel?: boolean;
  propagation?: "None" | "HostToContainer" | "Bidirectional";
}

export interface PortMapping {
  containerPort: number;
  hostPort?: number;
  listenAddress?: string;
  protocol?: "TCP" | "UDP" | "SCTP";
}

export interface Networking {
  ipFamily?: "ipv4" | "ipv6" | "dual";
  apiServerAddress?: string;
  apiServerPort?: number;
  podSubnet?: string;
  serviceSubnet?: string;
  disableDefaultCNI?: boolean;
  kubeProxyMode?: "iptables" | "ipvs" | "nftables" | "none";
  dnsSearch?: string[];
}
