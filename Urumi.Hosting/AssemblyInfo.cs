// Urumi.Hosting: the self-host of the Urumi function app (see the project's Description).
