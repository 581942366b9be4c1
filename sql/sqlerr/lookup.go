package sqlerr

// catalog lists every declared code, for Lookup. TestCatalogComplete
// checks that it matches the declarations in codes.go.
var catalog = [...]Code{
	SuccessfulCompletion, Warning, FeatureNotSupported, CardinalityViolation, DataException,
	StringDataRightTruncation, NumericValueOutOfRange, InvalidDatetimeFormat,
	DatetimeFieldOverflow, DivisionByZero, InvalidParameterValue, InvalidRegularExpression,
	InvalidArgumentForLogarithm, InvalidArgumentForPower, SubstringError,
	InvalidEscapeCharacter, InvalidEscapeSequence, NullValueNotAllowed, ArraySubscriptError,
	InvalidPreceding, InvalidArgumentForNthValue, InvalidArgumentForNtile,
	CharacterNotInRepertoire, InvalidTextRepresentation, BadCopyFileFormat,
	UntranslatableCharacter, InvalidJSONText, NotNullViolation, UniqueViolation,
	InvalidTransactionState, ActiveSQLTransaction, ReadOnlySQLTransaction,
	InFailedSQLTransaction, InvalidSQLStatementName, InvalidAuthorization, InvalidCatalogName,
	InvalidPassword, DependentObjectsStillExist, InvalidCursorName, SyntaxError,
	InsufficientPrivilege, UndefinedColumn, UndefinedFunction, UndefinedTable,
	UndefinedObject, UndefinedParameter, DuplicateColumn, DuplicateObject, DuplicateTable,
	DuplicateCursor, DuplicatePreparedStatement, AmbiguousParameter, AmbiguousColumn,
	AmbiguousFunction, GroupingError, DatatypeMismatch, WrongObjectType,
	InvalidColumnReference, InvalidObjectDefinition, InvalidRecursion, DuplicateAlias, ReservedName,
	WindowingError, InvalidParameterType, ProgramLimitExceeded, ObjectNotInPrerequisiteState,
	ObjectInUse, OperatorIntervention, QueryCanceled, AdminShutdown, IdleSessionTimeout,
	TooManyConnections, ConfigFileError, IOError, ProtocolViolation, ConnectionException,
	Internal,
}

// Lookup returns the declared Code whose SQLSTATE is s, for codes that
// travel as strings through packages that do not import sqlerr (such as
// pgwire/pgtypes' decoding errors). ok is false for an undeclared code.
func Lookup(s string) (c Code, ok bool) {
	for _, c := range catalog {
		if c.s == s {
			return c, true
		}
	}
	return Code{}, false
}
