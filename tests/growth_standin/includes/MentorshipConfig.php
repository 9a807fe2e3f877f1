<?php

namespace GrowthStandin;

use MediaWiki\Page\PageIdentity;
use stdClass;
use StatusValue;

/**
 * The community settings of the Mentorship provider (MediaWiki:GrowthExperimentsMentorship.json):
 * defaults, merge and a type check modelled on GrowthExperiments' MentorshipSchema.
 */
class MentorshipConfig {

	public const PAGE_NAME = 'GrowthExperimentsMentorship.json';
	/** Schema version that CommunityConfiguration writes into the page as "$version". */
	public const SCHEMA_VERSION = '1.0.0';
	public const VERSION_KEY = '$version';

	/** Type of each known key: 'bool', 'int' (>= 0) or a nested array of those. */
	private const TYPES = [
		'GEMentorshipEnabled' => 'bool',
		'GEMentorshipAutomaticEligibility' => 'bool',
		'GEMentorshipMinimumAge' => 'int',
		'GEMentorshipMinimumEditcount' => 'int',
		'GEPersonalizedPraiseDays' => 'int',
		'GEPersonalizedPraiseDefaultNotificationsFrequency' => 'int',
		'GEPersonalizedPraiseMaxEdits' => 'int',
		'GEPersonalizedPraiseMinEdits' => 'int',
		'GEMentorshipStartOptedOutThresholds' => [
			'enabled' => 'bool',
			'minEditcount' => 'int',
			'minTenureInDays' => 'int',
		],
		'GEMentorshipShouldBeAutoawayed' => 'bool',
		'GEMentorshipAutoawayedAfterDays' => 'int',
		'GEMentorshipShouldBeAutoremoved' => 'bool',
		'GEMentorshipAutoremovedAfterDays' => 'int',
	];

	public static function isConfigPage( PageIdentity $page ): bool {
		return $page->getNamespace() === NS_MEDIAWIKI && $page->getDBkey() === self::PAGE_NAME;
	}

	public static function defaults(): stdClass {
		return (object)[
			'GEMentorshipEnabled' => false,
			'GEMentorshipAutomaticEligibility' => true,
			'GEMentorshipMinimumAge' => 90,
			'GEMentorshipMinimumEditcount' => 500,
			'GEPersonalizedPraiseDays' => 7,
			'GEPersonalizedPraiseDefaultNotificationsFrequency' => 168,
			'GEPersonalizedPraiseMaxEdits' => 500,
			'GEPersonalizedPraiseMinEdits' => 8,
			'GEMentorshipStartOptedOutThresholds' => (object)[
				'enabled' => false,
				'minEditcount' => 500,
				'minTenureInDays' => 30,
			],
			'GEMentorshipShouldBeAutoawayed' => false,
			'GEMentorshipAutoawayedAfterDays' => 10,
			'GEMentorshipShouldBeAutoremoved' => false,
			'GEMentorshipAutoremovedAfterDays' => 90,
		];
	}

	/** Defaults overridden by $config, recursively for objects. */
	public static function merge( stdClass $defaults, stdClass $config ): stdClass {
		$merged = clone $defaults;
		foreach ( get_object_vars( $config ) as $key => $value ) {
			if ( isset( $merged->$key ) && is_object( $merged->$key ) && is_object( $value ) ) {
				$merged->$key = self::merge( $merged->$key, $value );
			} else {
				$merged->$key = $value;
			}
		}
		return $merged;
	}

	/**
	 * Type check of known keys (unknown keys pass, as CommunityConfiguration only warns on them).
	 *
	 * @param mixed $data decoded JSON
	 */
	public static function validate( $data ): StatusValue {
		$status = StatusValue::newGood();
		if ( !$data instanceof stdClass ) {
			$status->fatal( 'communityconfiguration-schema-validation-error', '(root)', 'the page must hold a JSON object' );
			return $status;
		}
		self::checkTypes( $data, self::TYPES, '', $status );
		return $status;
	}

	private static function checkTypes( stdClass $data, array $types, string $prefix, StatusValue $status ): void {
		foreach ( $types as $key => $type ) {
			if ( !property_exists( $data, $key ) ) {
				continue;
			}
			$value = $data->$key;
			$path = $prefix . $key;
			if ( is_array( $type ) ) {
				if ( !$value instanceof stdClass ) {
					$status->fatal( 'communityconfiguration-schema-validation-error', $path, 'must be an object' );
				} else {
					self::checkTypes( $value, $type, "$path.", $status );
				}
			} elseif ( $type === 'bool' && !is_bool( $value ) ) {
				$status->fatal( 'communityconfiguration-schema-validation-error', $path, 'must be a boolean' );
			} elseif ( $type === 'int' && ( !is_int( $value ) || $value < 0 ) ) {
				$status->fatal( 'communityconfiguration-schema-validation-error', $path,
					'must be an integer of at least 0' );
			}
		}
	}
}
