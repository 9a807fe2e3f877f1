<?php

namespace GrowthStandin;

use MediaWiki\CommentStore\CommentStoreComment;
use MediaWiki\Content\JsonContent;
use MediaWiki\Json\FormatJson;
use MediaWiki\MediaWikiServices;
use MediaWiki\Page\PageIdentity;
use MediaWiki\Revision\RevisionRecord;
use MediaWiki\Revision\SlotRecord;
use MediaWiki\Title\Title;
use MediaWiki\User\UserIdentity;
use stdClass;
use StatusValue;
use Wikimedia\Rdbms\IDBAccessObject;
use Wikimedia\Timestamp\ConvertibleTimestamp;

/**
 * Reads, validates and writes the mentor list page MediaWiki:GrowthMentors.json.
 *
 * Page shape: {"Mentors": {"<user id>": {username?, message?, weight?, awayTimestamp?,
 * automaticallyAssigned?}}}. Entries are read from the latest revision; only the set of mentor ids
 * that list=growthmentorlist serves is cached (see getCachedMentorIds).
 */
class MentorList {

	public const PAGE_NAME = 'GrowthMentors.json';
	public const ROOT_KEY = 'Mentors';
	public const CHANGE_TAG = 'mentor list change';
	public const WEIGHTS = [ 0, 1, 2, 4 ];
	public const DEFAULT_WEIGHT = 2;
	public const MESSAGE_MAX_LENGTH = 240;
	/** Key reserved by CommunityConfiguration for the schema version; ignored on validation. */
	public const VERSION_KEY = '$version';

	private const ENTRY_KEYS = [ 'username', 'message', 'weight', 'awayTimestamp', 'automaticallyAssigned' ];

	public static function getTitle(): Title {
		return Title::makeTitle( NS_MEDIAWIKI, self::PAGE_NAME );
	}

	public static function isMentorListPage( PageIdentity $page ): bool {
		return $page->getNamespace() === NS_MEDIAWIKI && $page->getDBkey() === self::PAGE_NAME;
	}

	/**
	 * Raw entries of the list, keyed by integer user id (entries as associative arrays).
	 * A missing page, a page that is not JSON or an invalid page all read as an empty list.
	 *
	 * @return array<int,array>
	 */
	public static function loadEntries(): array {
		$revision = MediaWikiServices::getInstance()->getRevisionLookup()
			->getRevisionByTitle( self::getTitle() );
		if ( !$revision ) {
			return [];
		}
		$content = $revision->getContent( SlotRecord::MAIN, RevisionRecord::RAW );
		if ( !$content instanceof JsonContent ) {
			return [];
		}
		$data = json_decode( $content->getText() );
		if ( !self::validate( $data )->isOK() ) {
			return [];
		}
		$mentors = $data->{self::ROOT_KEY} ?? new stdClass;
		$result = [];
		foreach ( (array)$mentors as $id => $entry ) {
			$result[(int)$id] = (array)$entry;
		}
		ksort( $result );
		return $result;
	}

	/**
	 * Effective weight of an entry: missing means 2, automaticallyAssigned=false means 0.
	 */
	public static function getWeight( array $entry ): int {
		if ( array_key_exists( 'automaticallyAssigned', $entry ) && !$entry['automaticallyAssigned'] ) {
			return 0;
		}
		return (int)( $entry['weight'] ?? self::DEFAULT_WEIGHT );
	}

	/** Custom intro message or null when the default text applies. */
	public static function getMessage( array $entry ): ?string {
		return isset( $entry['message'] ) ? (string)$entry['message'] : null;
	}

	private const IDS_CACHE_TTL = 86400;

	private static function idsCacheKey(): string {
		return self::idsCache()->makeKey( 'growthstandin-mentor-ids' );
	}

	private static function idsCache(): \Wikimedia\ObjectCache\BagOStuff {
		return MediaWikiServices::getInstance()->getObjectCacheFactory()->getLocalClusterInstance();
	}

	/**
	 * User ids of the mentors, from a cache kept for a day: GE master caches the set of mentors;
	 * its writer clears the cache, a direct edit of the page does not.
	 *
	 * @return int[]
	 */
	public static function getCachedMentorIds(): array {
		return self::idsCache()->getWithSetCallback( self::idsCacheKey(), self::IDS_CACHE_TTL,
			static fn () => array_keys( self::loadEntries() ) );
	}

	public static function isMentor( UserIdentity $user ): bool {
		return $user->getId() > 0 && array_key_exists( $user->getId(), self::loadEntries() );
	}

	/**
	 * Serialise one mentor the way the writer stores it (username is added on save).
	 */
	public static function serializeEntry( ?string $message, int $weight, ?string $awayTimestamp ): array {
		$entry = [
			'message' => $message,
			'weight' => $weight,
		];
		if ( $awayTimestamp ) {
			$entry['awayTimestamp'] = ConvertibleTimestamp::convert( TS_ISO_8601, $awayTimestamp );
		}
		return $entry;
	}

	/**
	 * Strict validation of decoded page data (objects as stdClass).
	 *
	 * Errors use the message key of CommunityConfiguration's schema validator, so the API
	 * error code is the same as on a wiki with the real extensions:
	 * communityconfiguration-schema-validation-error, params (key path, explanation).
	 *
	 * @param mixed $data
	 */
	public static function validate( $data ): StatusValue {
		$status = StatusValue::newGood();
		if ( !$data instanceof stdClass ) {
			return self::fail( $status, '(root)', 'the page must hold a JSON object' );
		}
		foreach ( get_object_vars( $data ) as $key => $value ) {
			if ( $key === self::VERSION_KEY ) {
				continue;
			}
			if ( $key !== self::ROOT_KEY ) {
				self::fail( $status, (string)$key,
					"unknown top-level key \"$key\": only \"" . self::ROOT_KEY . '" is allowed' );
			}
		}
		if ( !property_exists( $data, self::ROOT_KEY ) ) {
			return $status;
		}
		$mentors = $data->{self::ROOT_KEY};
		if ( $mentors === [] ) {
			return $status;
		}
		if ( !$mentors instanceof stdClass ) {
			return self::fail( $status, self::ROOT_KEY, '"Mentors" must be an object keyed by user id' );
		}
		foreach ( get_object_vars( $mentors ) as $id => $entry ) {
			$path = self::ROOT_KEY . '.' . $id;
			if ( !preg_match( '/^[0-9]+$/', (string)$id ) ) {
				self::fail( $status, $path, "mentor key \"$id\" is not a numeric user id" );
				continue;
			}
			if ( !$entry instanceof stdClass ) {
				self::fail( $status, $path, "the entry of user id $id must be an object" );
				continue;
			}
			foreach ( get_object_vars( $entry ) as $field => $value ) {
				$fieldPath = "$path.$field";
				switch ( $field ) {
					case 'username':
						if ( !is_string( $value ) ) {
							self::fail( $status, $fieldPath, '"username" must be a string' );
						}
						break;
					case 'message':
						if ( $value !== null && !is_string( $value ) ) {
							self::fail( $status, $fieldPath, '"message" must be a string or null' );
						} elseif ( is_string( $value ) && mb_strlen( $value ) > self::MESSAGE_MAX_LENGTH ) {
							self::fail( $status, $fieldPath, '"message" is ' . mb_strlen( $value ) .
								' characters long, at most ' . self::MESSAGE_MAX_LENGTH . ' are allowed' );
						}
						break;
					case 'weight':
						// The schema asks only for an integer; the API's parameter alone is limited to 0/1/2/4.
						if ( !is_int( $value ) ) {
							self::fail( $status, $fieldPath, '"weight" must be an integer, got ' .
								FormatJson::encode( $value ) );
						}
						break;
					case 'awayTimestamp':
						if ( !is_string( $value ) ) {
							self::fail( $status, $fieldPath, '"awayTimestamp" must be a string' );
						}
						break;
					case 'automaticallyAssigned':
						if ( !is_bool( $value ) ) {
							self::fail( $status, $fieldPath, '"automaticallyAssigned" must be a boolean' );
						}
						break;
					default:
						self::fail( $status, $fieldPath, "unknown key \"$field\" in the entry of user id $id" .
							' (allowed: ' . implode( ', ', self::ENTRY_KEYS ) . ')' );
				}
			}
		}
		return $status;
	}

	private static function fail( StatusValue $status, string $path, string $explanation ): StatusValue {
		$status->fatal( 'communityconfiguration-schema-validation-error', $path, $explanation );
		return $status;
	}

	/**
	 * Save the whole list as $performer, refreshing the username copies, with the change tag.
	 *
	 * @param array<int,array> $entries
	 * @param UserIdentity $performer
	 * @param string $summary
	 */
	public static function save( array $entries, UserIdentity $performer, string $summary ): StatusValue {
		$services = MediaWikiServices::getInstance();
		$performerUser = $services->getUserFactory()->newFromUserIdentity( $performer );
		$title = self::getTitle();
		$block = $performerUser->getBlock( IDBAccessObject::READ_LATEST );
		if ( $block && $block->appliesToTitle( $title ) ) {
			return StatusValue::newFatal( 'growthexperiments-mentor-writer-error-blocked' );
		}

		ksort( $entries );
		$mentors = new stdClass;
		$lookup = $services->getUserIdentityLookup();
		foreach ( $entries as $id => $entry ) {
			$user = $lookup->getUserIdentityByUserId( (int)$id );
			if ( $user ) {
				$entry['username'] = $user->getName();
			}
			$mentors->{(string)$id} = (object)$entry;
		}
		$data = (object)[ self::ROOT_KEY => $mentors ];
		$status = self::validate( $data );
		if ( !$status->isOK() ) {
			return $status;
		}

		$page = $services->getWikiPageFactory()->newFromTitle( $title );
		$updater = $page->newPageUpdater( $performerUser );
		$updater->setContent( SlotRecord::MAIN, new JsonContent( FormatJson::encode( $data ) ) );
		$updater->addTag( self::CHANGE_TAG );
		$updater->saveRevision( CommentStoreComment::newUnsavedComment( $summary ) );
		self::idsCache()->delete( self::idsCacheKey() );
		return $updater->getStatus();
	}

	/**
	 * Edit summary in GrowthExperiments' autocomment format:
	 * "/* growthexperiments-manage-mentors-summary-<action>-<admin|self>-<no|with>-reason:<mentor>|<reason> *\/"
	 */
	public static function makeSummary(
		string $action, UserIdentity $performer, UserIdentity $mentor, string $reason
	): string {
		$key = 'growthexperiments-manage-mentors-summary-' . $action .
			( $performer->equals( $mentor ) ? '-self' : '-admin' ) .
			( $reason === '' ? '-no-reason' : '-with-reason' );
		return sprintf( '/* %s:%s|%s */', $key, $mentor->getName(), $reason );
	}
}
