package recorder

import (
	_ "github.com/google/martian/v3"      // TODO(recorder): remove once used
	_ "github.com/google/martian/v3/mitm" // TODO(recorder): remove once used
)
