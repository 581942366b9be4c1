package sqlerr

// Code is a five-character SQLSTATE. It is a struct so a raw string cannot
// be passed where a code is expected; every code Tocsin uses is declared
// below.
type Code struct{ s string }

// String returns the five-character SQLSTATE.
func (c Code) String() string { return c.s }

// The SQLSTATE codes Tocsin reports, named as in PostgreSQL's errcodes.txt.
var (
	SuccessfulCompletion         = Code{"00000"}
	Warning                      = Code{"01000"}
	FeatureNotSupported          = Code{"0A000"}
	CardinalityViolation         = Code{"21000"}
	DataException                = Code{"22000"}
	StringDataRightTruncation    = Code{"22001"}
	NumericValueOutOfRange       = Code{"22003"}
	InvalidDatetimeFormat        = Code{"22007"}
	DatetimeFieldOverflow        = Code{"22008"}
	DivisionByZero               = Code{"22012"}
	InvalidParameterValue        = Code{"22023"}
	InvalidRegularExpression     = Code{"2201B"}
	InvalidArgumentForLogarithm  = Code{"2201E"}
	InvalidArgumentForPower      = Code{"2201F"}
	SubstringError               = Code{"22011"}
	InvalidEscapeCharacter       = Code{"22019"}
	InvalidEscapeSequence        = Code{"22025"}
	NullValueNotAllowed          = Code{"22004"}
	ArraySubscriptError          = Code{"2202E"}
	InvalidPreceding             = Code{"22013"}
	InvalidArgumentForNthValue   = Code{"22016"}
	InvalidArgumentForNtile      = Code{"22014"}
	CharacterNotInRepertoire     = Code{"22021"}
	InvalidTextRepresentation    = Code{"22P02"}
	BadCopyFileFormat            = Code{"22P04"}
	UntranslatableCharacter      = Code{"22P05"}
	InvalidJSONText              = Code{"22032"}
	NotNullViolation             = Code{"23502"}
	UniqueViolation              = Code{"23505"}
	InvalidTransactionState      = Code{"25000"}
	ActiveSQLTransaction         = Code{"25001"}
	ReadOnlySQLTransaction       = Code{"25006"}
	InFailedSQLTransaction       = Code{"25P02"}
	InvalidSQLStatementName      = Code{"26000"}
	InvalidAuthorization         = Code{"28000"}
	InvalidCatalogName           = Code{"3D000"}
	InvalidPassword              = Code{"28P01"}
	DependentObjectsStillExist   = Code{"2BP01"}
	InvalidCursorName            = Code{"34000"}
	SyntaxError                  = Code{"42601"}
	InsufficientPrivilege        = Code{"42501"}
	UndefinedColumn              = Code{"42703"}
	UndefinedFunction            = Code{"42883"}
	UndefinedTable               = Code{"42P01"}
	UndefinedObject              = Code{"42704"}
	UndefinedParameter           = Code{"42P02"}
	DuplicateColumn              = Code{"42701"}
	DuplicateObject              = Code{"42710"}
	DuplicateTable               = Code{"42P07"}
	DuplicateCursor              = Code{"42P03"}
	DuplicatePreparedStatement   = Code{"42P05"}
	AmbiguousParameter           = Code{"42P08"}
	AmbiguousColumn              = Code{"42702"}
	AmbiguousFunction            = Code{"42725"}
	GroupingError                = Code{"42803"}
	DatatypeMismatch             = Code{"42804"}
	WrongObjectType              = Code{"42809"}
	InvalidColumnReference       = Code{"42P10"}
	InvalidObjectDefinition      = Code{"42P17"}
	InvalidRecursion             = Code{"42P19"}
	DuplicateAlias               = Code{"42712"}
	ReservedName                 = Code{"42939"}
	WindowingError               = Code{"42P20"}
	InvalidParameterType         = Code{"42P18"}
	ProgramLimitExceeded         = Code{"54000"}
	ObjectNotInPrerequisiteState = Code{"55000"}
	ObjectInUse                  = Code{"55006"}
	OperatorIntervention         = Code{"57000"}
	QueryCanceled                = Code{"57014"}
	AdminShutdown                = Code{"57P01"}
	IdleSessionTimeout           = Code{"57P05"}
	TooManyConnections           = Code{"53300"}
	ConfigFileError              = Code{"F0000"}
	IOError                      = Code{"58030"}
	ProtocolViolation            = Code{"08P01"}
	ConnectionException          = Code{"08000"}
	Internal                     = Code{"XX000"}
)
