package cassettes

import _ "go.yaml.in/yaml/v3" // TODO(cassettes): remove once used
