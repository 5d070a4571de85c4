package kube

// The subset of the Kubernetes API that devbox writes, with the API's own
// field names (core/v1 and batch/v1).

type objectMeta struct {
	Name   string            `json:"name,omitempty"`
	Labels map[string]string `json:"labels,omitempty"`
}

type pod struct {
	APIVersion string        `json:"apiVersion"`
	Kind       string        `json:"kind"`
	Metadata   objectMeta    `json:"metadata"`
	Spec       podSpecFields `json:"spec"`
}

type job struct {
	APIVersion string     `json:"apiVersion"`
	Kind       string     `json:"kind"`
	Metadata   objectMeta `json:"metadata"`
	Spec       jobSpec    `json:"spec"`
}

type jobSpec struct {
	BackoffLimit *int32      `json:"backoffLimit,omitempty"`
	Template     podTemplate `json:"template"`
}

type podTemplate struct {
	Metadata objectMeta    `json:"metadata"`
	Spec     podSpecFields `json:"spec"`
}

type podSpecFields struct {
	HostUsers       *bool               `json:"hostUsers,omitempty"`
	RestartPolicy   string              `json:"restartPolicy,omitempty"`
	SecurityContext *podSecurityContext `json:"securityContext,omitempty"`
	Containers      []container         `json:"containers"`
	Volumes         []volume            `json:"volumes,omitempty"`
}

type container struct {
	Name            string           `json:"name"`
	Image           string           `json:"image"`
	ImagePullPolicy string           `json:"imagePullPolicy,omitempty"`
	Command         []string         `json:"command,omitempty"`
	WorkingDir      string           `json:"workingDir,omitempty"`
	Env             []envVar         `json:"env,omitempty"`
	Ports           []containerPort  `json:"ports,omitempty"`
	Resources       *resources       `json:"resources,omitempty"`
	SecurityContext *securityContext `json:"securityContext,omitempty"`
	VolumeMounts    []volumeMount    `json:"volumeMounts,omitempty"`
	Stdin           bool             `json:"stdin,omitempty"`
	TTY             bool             `json:"tty,omitempty"`
}

type envVar struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type containerPort struct {
	ContainerPort int32  `json:"containerPort"`
	Protocol      string `json:"protocol,omitempty"`
}

type resources struct {
	Limits map[string]string `json:"limits,omitempty"`
}

type podSecurityContext struct {
	RunAsUser      *int64          `json:"runAsUser,omitempty"`
	RunAsGroup     *int64          `json:"runAsGroup,omitempty"`
	RunAsNonRoot   *bool           `json:"runAsNonRoot,omitempty"`
	SeccompProfile *seccompProfile `json:"seccompProfile,omitempty"`
}

type seccompProfile struct {
	Type string `json:"type"`
}

type securityContext struct {
	AllowPrivilegeEscalation *bool         `json:"allowPrivilegeEscalation,omitempty"`
	Capabilities             *capabilities `json:"capabilities,omitempty"`
}

type capabilities struct {
	Add  []string `json:"add,omitempty"`
	Drop []string `json:"drop,omitempty"`
}

type volumeMount struct {
	Name      string `json:"name"`
	MountPath string `json:"mountPath"`
}

type volume struct {
	Name     string    `json:"name"`
	HostPath *hostPath `json:"hostPath,omitempty"`
}

type hostPath struct {
	Path string `json:"path"`
	Type string `json:"type,omitempty"`
}
